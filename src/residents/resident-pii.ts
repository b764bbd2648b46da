import { createHmac, hkdfSync } from 'node:crypto';
import { PiiCipher, type PiiKeyring } from '../common/pii-cipher';
import { hashIdNumber, maskIdNumber } from './id-number';
import { maskPhone, normalizePhone } from './phone';

/** What of a residents row the masks are computed from: encrypted columns, and the plaintext ones rows from before encryption may still have. */
export interface ResidentPiiColumns {
  id: string;
  id_number_enc: string | null;
  id_number_masked?: string | null;
  phone_enc: string | null;
  phone?: string | null;
}

/** Where each encrypted value lives, authenticated with it: a value copied to another row or column does not decrypt. */
export const ID_NUMBER_CONTEXT = (residentId: string) => `residents.id_number/${residentId}`;
export const PHONE_CONTEXT = (residentId: string) => `residents.phone/${residentId}`;

/**
 * Residents' ID numbers and phones at rest: encrypted with the PII keyring, found by keyed
 * hashes, shown only masked (the masks are computed here, after decrypting).
 *
 * The phone's blind index is keyed with a key derived (HKDF) from ID_NUMBER_KEY, not from
 * PII_KEYS: the index has to stay the same when the encryption key is rotated.
 */
export class ResidentPii {
  readonly cipher: PiiCipher;
  private readonly phoneIndexKey: Buffer;

  constructor(
    private readonly idNumberKey: string,
    keyring: PiiKeyring,
  ) {
    this.cipher = new PiiCipher(keyring);
    this.phoneIndexKey = Buffer.from(hkdfSync('sha256', idNumberKey, '', 'community-card/residents.phone_hash/v1', 32));
  }

  /** The keyed hash residents are found (and kept unique) by. */
  idNumberHash(idNumber: string): string {
    return hashIdNumber(idNumber, this.idNumberKey);
  }

  /** The blind index of a phone, over its normalised form, so `+86 138 0013 8000` and `13800138000` agree. */
  phoneHash(phone: string): string {
    return createHmac('sha256', this.phoneIndexKey)
      .update(normalizePhone(phone) ?? phone, 'utf8')
      .digest('hex');
  }

  /** The columns that store an ID number: the full number, encrypted. */
  idNumberColumns(residentId: string, idNumber: string): { id_number_enc: string; id_number_masked: null } {
    return { id_number_enc: this.cipher.encrypt(idNumber, ID_NUMBER_CONTEXT(residentId)), id_number_masked: null };
  }

  /** The columns that store a phone (or its absence): encrypted, with its blind index. */
  phoneColumns(residentId: string, phone: string | null): { phone_enc: string | null; phone_hash: string | null; phone: null } {
    if (phone === null) return { phone_enc: null, phone_hash: null, phone: null };
    return { phone_enc: this.cipher.encrypt(phone, PHONE_CONTEXT(residentId)), phone_hash: this.phoneHash(phone), phone: null };
  }

  /** "310115********1234". Rows from before encryption only ever had the mask, so what decrypts may already be one. */
  idNumberMasked(row: ResidentPiiColumns): string {
    const value = row.id_number_enc !== null ? this.cipher.decrypt(row.id_number_enc, ID_NUMBER_CONTEXT(row.id)) : row.id_number_masked;
    if (!value) return '';
    return value.includes('*') ? value : maskIdNumber(value);
  }

  /** "138****8000", or null without a phone. */
  phoneMasked(row: ResidentPiiColumns): string | null {
    const value = row.phone_enc !== null ? this.cipher.decrypt(row.phone_enc, PHONE_CONTEXT(row.id)) : row.phone;
    return value ? maskPhone(value) : null;
  }
}
