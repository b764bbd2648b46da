import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { ResidentRow } from './resident.view';

const COLUMNS = ['id', 'name', 'id_number_masked', 'birth_date', 'phone', 'community', 'building', 'unit', 'room', 'tags', 'created_at'];

export interface NewResident {
  id: string;
  name: string;
  idNumberHash: string;
  idNumberMasked: string;
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
  /** Returns false when the ID number is already registered. */
  async insert(db: Knex, r: NewResident): Promise<boolean> {
    const rows = await db('residents')
      .insert({
        id: r.id,
        name: r.name,
        id_number_hash: r.idNumberHash,
        id_number_masked: r.idNumberMasked,
        birth_date: r.birthDate,
        phone: r.phone,
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
        ...(changes.phone !== undefined ? { phone: changes.phone } : {}),
        ...(changes.address ? addressColumns(changes.address) : {}),
        ...(changes.tags ? { tags: changes.tags } : {}),
        updated_at: db.fn.now(),
      })
      .returning('id');
    return rows.length === 1;
  }

  async findById(db: Knex, id: string, lock?: 'share'): Promise<ResidentRow | undefined> {
    const query = db('residents').where({ id }).first<ResidentRow | undefined>(COLUMNS);
    return lock === 'share' ? query.forShare() : query;
  }

  async findByIdNumberHash(db: Knex, hash: string): Promise<ResidentRow | undefined> {
    return db('residents').where({ id_number_hash: hash }).first<ResidentRow | undefined>(COLUMNS);
  }
}

function addressColumns(a: { community: string; building: string; unit?: string; room?: string }) {
  return { community: a.community, building: a.building, unit: a.unit ?? null, room: a.room ?? null };
}
