import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { assertMerchantScope } from '../../auth/scope';
import { decodeCursor, encodeCursor, isCursorInstant, isCursorUuid, type Page } from '../../common/pagination';
import { InjectKnex } from '../../db/database.module';
import { MerchantNotFound } from '../../merchants/merchants.errors';
import { MerchantsRepository } from '../../merchants/merchants.repository';
import { paymentView, type PaymentView } from '../payment.view';
import { PaymentsRepository, type MerchantTotals } from '../payments.repository';
import { ListMerchantPaymentsQuery } from './list-merchant-payments.query';

const isTimeCursor = (v: unknown): v is { at: string; id: string } => {
  const c = v as { at?: unknown; id?: unknown } | null;
  return isCursorInstant(c?.at) && isCursorUuid(c?.id);
};

/** End-of-day reconciliation: the merchant's payments (declines too) with totals over the whole filter. */
@QueryHandler(ListMerchantPaymentsQuery)
export class ListMerchantPaymentsHandler implements IQueryHandler<ListMerchantPaymentsQuery> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly payments: PaymentsRepository,
    private readonly merchants: MerchantsRepository,
  ) {}

  async execute(q: ListMerchantPaymentsQuery): Promise<Page<PaymentView> & { totals: MerchantTotals }> {
    assertMerchantScope(q.by, q.filter.merchantId);
    const after = decodeCursor(q.cursor, isTimeCursor);
    if (!(await this.merchants.findById(this.knex, q.filter.merchantId))) throw new MerchantNotFound();
    const rows = await this.payments.listForMerchant(this.knex, q.filter, after, q.limit);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(paymentView),
      nextCursor: rows.length === q.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null,
      totals: await this.payments.totalsForMerchant(this.knex, q.filter),
    };
  }
}
