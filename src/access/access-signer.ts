import { createPublicKey, sign } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Secrets } from '../config/secrets';

/** Signs allowlist bodies so an offline controller can trust a list that reached it by any path. */
@Injectable()
export class AccessSigner {
  readonly publicKeyPem: string;

  constructor(private readonly secrets: Secrets) {
    this.publicKeyPem = createPublicKey(secrets.accessSigningKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  /** Base64 Ed25519 signature of the exact UTF-8 bytes of `body`. */
  sign(body: string): string {
    return sign(null, Buffer.from(body, 'utf8'), this.secrets.accessSigningKey).toString('base64');
  }
}
