export class CardIssuedEvent {
  constructor(
    readonly cardId: string,
    readonly uid: string,
    readonly residentId: string,
  ) {}
}
