/** Published after a resident's phone, address or tags changed; door rights follow the address. */
export class ResidentUpdatedEvent {
  constructor(
    readonly residentId: string,
    readonly changed: ('phone' | 'address' | 'tags')[],
  ) {}
}
