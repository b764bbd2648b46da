import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { Principal } from './principal';
import type { Role } from './roles';

export interface NewApiKey {
  id: string;
  role: Role;
  name: string;
  keyHash: string;
  keyPrefix: string;
  merchantId: string | null;
  doorIds: string[] | null;
  createdBy: string | null;
}

interface ApiKeyRow {
  id: string;
  role: Role;
  name: string;
  merchant_id: string | null;
  door_ids: string[] | null;
}

const toPrincipal = (r: ApiKeyRow): Principal => ({
  keyId: r.id,
  role: r.role,
  name: r.name,
  merchantId: r.merchant_id,
  doorIds: r.door_ids ?? [],
});

@Injectable()
export class ApiKeysRepository {
  async insert(db: Knex | Knex.Transaction, key: NewApiKey): Promise<boolean> {
    const rows = await db('api_keys')
      .insert({
        id: key.id,
        role: key.role,
        name: key.name,
        key_hash: key.keyHash,
        key_prefix: key.keyPrefix,
        merchant_id: key.merchantId,
        door_ids: key.doorIds,
        created_by: key.createdBy,
      })
      .onConflict('key_hash')
      .ignore()
      .returning('id');
    return rows.length === 1;
  }

  async findActiveByHash(db: Knex, keyHash: string): Promise<Principal | null> {
    const row = await db('api_keys')
      .where({ key_hash: keyHash })
      .whereNull('revoked_at')
      .first<ApiKeyRow | undefined>('id', 'role', 'name', 'merchant_id', 'door_ids');
    return row ? toPrincipal(row) : null;
  }

  /** Returns false when no key with that id exists; revoking twice is harmless. */
  async revoke(db: Knex | Knex.Transaction, id: string): Promise<boolean> {
    const rows = await db('api_keys').where({ id }).update({ revoked_at: db.raw('coalesce(revoked_at, now())') }).returning('id');
    return rows.length === 1;
  }

  async merchantExists(db: Knex, merchantId: string): Promise<boolean> {
    return (await db('merchants').where({ id: merchantId }).first('id')) !== undefined;
  }

  async countDoors(db: Knex, doorIds: string[]): Promise<number> {
    const [{ count }] = await db('doors').whereIn('id', doorIds).count<{ count: string }[]>({ count: '*' });
    return Number(count);
  }

  async hasActiveAdmin(db: Knex | Knex.Transaction): Promise<boolean> {
    const row = await db('api_keys').where({ role: 'admin' }).whereNull('revoked_at').first('id');
    return row !== undefined;
  }
}
