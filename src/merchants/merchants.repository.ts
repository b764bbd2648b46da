import { Injectable } from '@nestjs/common';
import type { Knex } from 'knex';
import type { MerchantRow } from './merchant.view';

@Injectable()
export class MerchantsRepository {
  async insert(db: Knex, m: { id: string; name: string; category: string }): Promise<MerchantRow> {
    const [row] = await db('merchants').insert(m).returning(['id', 'name', 'category', 'created_at']);
    return row as MerchantRow;
  }

  async findById(db: Knex, id: string): Promise<MerchantRow | undefined> {
    return db('merchants').where({ id }).first<MerchantRow | undefined>('id', 'name', 'category', 'created_at');
  }
}
