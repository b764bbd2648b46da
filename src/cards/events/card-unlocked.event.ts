export class CardUnlockedEvent {
  constructor(
    readonly cardId: string,
    readonly uid: string,
    readonly residentId: string,
  ) {}
}
