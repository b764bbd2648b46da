export class CardClosedEvent {
  constructor(
    readonly cardId: string,
    readonly uid: string,
    readonly residentId: string,
    readonly refunded: string,
  ) {}
}
