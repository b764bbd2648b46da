/** Published after a key is revoked, for reactions such as dropping cached sessions. */
export class ApiKeyRevokedEvent {
  constructor(
    readonly keyId: string,
    readonly revokedBy: string,
  ) {}
}
