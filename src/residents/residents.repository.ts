import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { ResidentRow } from './resident.view';
import { ResidentPii } from './resident-pii';

/**
 * What a resident is read with. The plaintext `id_number_masked` and `phone` are only
 * there for rows not yet encrypted (see pii-maintenance.ts); the service empties them at start.
 */
export const RESIDENT_COLUMNS = ['id', 'name', 'id_number_enc', 'id_number_masked', 'birth_date', 'phone_enc', 'phone', 'community', 'building', 'unit', 'room', 'tags', 'created_at'];

export interface NewResident {
  id: string;
  name: string;
  /** The full number: stored only encrypted, and as the keyed hash it is found by. */
  idNumber: string;
  birthDate: string;
  phone: string | null;
  address: { community: string; building: string; unit?: string; room?: string };
  tags: string[];
}

export interface ResidentChanges {
  phone?: string;
  address?: { community: string; building: string; unit?: string; room?: string };
  tags?: string[];
}

@Injectable()
export class ResidentsRepository {
  constructor(private readonly pii: ResidentPii) {}

  /** Returns false when the ID number is already registered. */
  async insert(db: Knex, r: NewResident): Promise<boolean> {
    const rows = await db('residents')
      .insert({
        id: r.id,
        name: r.name,
        id_number_hash: this.pii.idNumberHash(r.idNumber),
        ...this.pii.idNumberColumns(r.id, r.idNumber),
        birth_date: r.birthDate,
        ...this.pii.phoneColumns(r.id, r.phone),
        ...addressColumns(r.address),
        tags: r.tags,
      })
      .onConflict('id_number_hash')
      .ignore()
      .returning('id');
    return rows.length === 1;
  }

  async update(db: Knex, id: string, changes: ResidentChanges): Promise<boolean> {
    const rows = await db('residents')
      .where({ id })
      .update({
        ...(changes.phone !== undefined ? this.pii.phoneColumns(id, changes.phone) : {}),
        ...(changes.address ? addressColumns(changes.address) : {}),
        ...(changes.tags ? { tags: changes.tags } : {}),
        updated_at: db.fn.now(),
      })
      .returning('id');
    return rows.length === 1;
  }

  async findById(db: Knex, id: string, lock?: 'share'): Promise<ResidentRow | undefined> {
    const query = db('residents').where({ id }).first<ResidentRow | undefined>(RESIDENT_COLUMNS);
    return lock === 'share' ? query.forShare() : query;
  }

  async findByIdNumber(db: Knex, idNumber: string): Promise<ResidentRow | undefined> {
    return db('residents').where({ id_number_hash: this.pii.idNumberHash(idNumber) }).first<ResidentRow | undefined>(RESIDENT_COLUMNS);
  }

  /** Residents with this phone (any spelling of it), through its blind index; several may share one. */
  async findByPhone(db: Knex, phone: string): Promise<ResidentRow[]> {
    return db('residents').where({ phone_hash: this.pii.phoneHash(phone) }).orderBy('id').select<ResidentRow[]>(RESIDENT_COLUMNS);
  }
}

function addressColumns(a: { community: string; building: string; unit?: string; room?: string }) {
  return { community: a.community, building: a.building, unit: a.unit ?? null, room: a.room ?? null };
}
