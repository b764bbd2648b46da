import type { ResidentPii } from './resident-pii';

export interface ResidentRow {
  id: string;
  name: string;
  /** The ID number, encrypted (see resident-pii.ts); null only on a row not yet encrypted. */
  id_number_enc: string | null;
  /** Plaintext mask of a row not yet encrypted; emptied at start. */
  id_number_masked: string | null;
  birth_date: string;
  phone_enc: string | null;
  /** Plaintext phone of a row not yet encrypted; emptied at start. */
  phone: string | null;
  community: string;
  building: string;
  unit: string | null;
  room: string | null;
  tags: string[];
  created_at: Date;
}

export interface ResidentView {
  id: string;
  name: string;
  idNumberMasked: string;
  birthDate: string;
  phoneMasked: string | null;
  address: { community: string; building: string; unit?: string; room?: string };
  tags: string[];
  createdAt: string;
}

/** The only shape a resident leaves the service in: no full ID number, no full phone number. */
export function residentView(r: ResidentRow, pii: ResidentPii): ResidentView {
  return {
    id: r.id,
    name: r.name,
    idNumberMasked: pii.idNumberMasked(r),
    birthDate: r.birth_date,
    phoneMasked: pii.phoneMasked(r),
    address: { community: r.community, building: r.building, ...(r.unit ? { unit: r.unit } : {}), ...(r.room ? { room: r.room } : {}) },
    tags: r.tags,
    createdAt: r.created_at.toISOString(),
  };
}
