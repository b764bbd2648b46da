export class CardReplacedEvent {
  constructor(
    readonly oldCardId: string,
    readonly oldUid: string,
    readonly newCardId: string,
    readonly newUid: string,
    readonly residentId: string,
    readonly reason: 'lost' | 'stolen' | 'damaged',
  ) {}
}
