export class ResidentRegisteredEvent {
  constructor(readonly residentId: string) {}
}
