import { type Answer, RetryingClient, Unanswered } from './client';
import { cents, expectedDecision, type Fixture, type Merchant, type Resident, toCents } from './fixture';
import type { Random } from './random';
import { sleep } from './service';

export interface AckPayment {
  id: string;
  key: string;
  merchant: Merchant;
  residentId: string;
  cardId: string;
  cents: number;
  round: number;
}

export interface AckTopUp {
  id: string;
  key: string;
  residentId: string;
  cents: number;
  round: number;
}

export interface AckRefund {
  id: string;
  key: string;
  payment: AckPayment;
  cents: number;
  round: number;
}

export interface AckDisbursement {
  id: string;
  key: string;
  period: string;
  recipients: number;
  cents: number;
  round: number;
}

export type MoneyKind = 'payment' | 'top_up' | 'refund' | 'disbursement' | 'funding';

/** A money-moving request that was answered (2xx or a 4xx outcome), kept to replay it and to match it to its idempotency record. */
export interface Sent {
  kind: MoneyKind;
  path: string;
  apiKey: string;
  apiKeyId: string;
  idempotencyKey: string;
  body: unknown;
  status: number;
  /** The id the answer named: the payment, top-up, refund, disbursement or funding transaction (a decline's paymentId). */
  answerId: string | null;
  round: number;
}

/**
 * What the clients were told, over the whole campaign: every acknowledged payment,
 * top-up, refund and disbursement with its Idempotency-Key, every recorded decline
 * or refusal, and every answered money request. The checks hold the database to it.
 */
export class Book {
  readonly payments = new Map<string, AckPayment>();
  /** Declined payments (402): recorded by the service too, with the paymentId they were told. */
  readonly declines = new Map<string, { key: string; code: string; round: number }>();
  readonly topUps = new Map<string, AckTopUp>();
  /** Top-ups refused with balance_limit_exceeded: nothing moved. */
  refusedTopUps = 0;
  readonly refunds = new Map<string, AckRefund>();
  readonly disbursements: AckDisbursement[] = [];
  readonly sent: Sent[] = [];
  /** Acknowledged payments not yet picked for a refund (each payment is refunded at most once). */
  readonly refundable: AckPayment[] = [];
  doorChecks = 0;
}

export interface RoundCounts {
  payments: number;
  declines: number;
  topUps: number;
  refusedTopUps: number;
  refunds: number;
  disbursements: number;
  doorChecks: number;
}

export interface LoadShape {
  paymentLoops: number;
  topUpLoops: number;
  refundLoops: number;
  doorLoops: number;
}

/**
 * The mixed load of one round: terminals paying, the desk topping up, terminals
 * refunding, door controllers checking cards, and one disbursement. Each loop sends
 * one request at a time and waits for its answer, retrying through outages
 * (RetryingClient); `stop()` lets every loop finish the request it is on.
 */
export class Load {
  private stopping = false;
  private loops: Promise<void>[] = [];
  readonly counts: RoundCounts = { payments: 0, declines: 0, topUps: 0, refusedTopUps: 0, refunds: 0, disbursements: 0, doorChecks: 0 };

  constructor(
    private readonly http: RetryingClient,
    private readonly fx: Fixture,
    private readonly book: Book,
    private readonly rnd: Random,
    private readonly run: string,
    readonly round: number,
    private readonly anomaly: (message: string) => void,
  ) {}

  start(shape: LoadShape, disburseAfterMs: number): void {
    for (let i = 0; i < shape.paymentLoops; i++) this.loop(`pay${i}`, (seq) => this.pay(this.fx.merchants[i % this.fx.merchants.length], `${i}-${seq}`));
    for (let i = 0; i < shape.topUpLoops; i++) this.loop(`top${i}`, (seq) => this.topUp(`${i}-${seq}`));
    for (let i = 0; i < shape.refundLoops; i++) this.loop(`refund${i}`, (seq) => this.refund(`${i}-${seq}`));
    for (let i = 0; i < shape.doorLoops; i++) this.loop(`door${i}`, () => this.doorCheck(this.fx.doorKeys[i % this.fx.doorKeys.length]));
    this.loops.push(sleep(disburseAfterMs).then(() => this.guard('disbursement', () => this.disburse())));
  }

  /** Stops sending new requests; resolves when every loop has its last answer. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private loop(name: string, step: (seq: number) => Promise<void>): void {
    this.loops.push(
      (async () => {
        for (let seq = 0; !this.stopping; seq++) {
          await this.guard(name, () => step(seq));
          // A few milliseconds between requests, so that two cores also leave room for the service and PostgreSQL.
          await sleep(this.rnd.int(0, 4));
        }
      })(),
    );
  }

  private async guard(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.anomaly(err instanceof Unanswered ? `never answered: ${err.message}` : `${name}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private key(kind: string, seq: string): string {
    return `crash-${this.run}-r${this.round}-${kind}-${seq}`;
  }

  private record(kind: MoneyKind, path: string, apiKey: string, apiKeyId: string, idempotencyKey: string, body: unknown, a: Answer, answerId: string | null): void {
    this.book.sent.push({ kind, path, apiKey, apiKeyId, idempotencyKey, body, status: a.status, answerId, round: this.round });
  }

  private async pay(m: Merchant, seq: string): Promise<void> {
    const r = this.rnd.pick(this.fx.payers);
    const amount = this.rnd.int(1, 300);
    const key = this.key('pay', seq);
    const body = { uid: r.uid, amount: cents(amount), description: `崩溃测试 第${this.round}轮` };
    const a = await this.http.send('POST', '/v1/payments', m.key, body, key);
    if (a.status === 201) {
      const b = a.body;
      if (b?.status !== 'approved' || b.amount !== cents(amount) || b.cardId !== r.cardId || b.merchantId !== m.id || typeof b.id !== 'string') {
        this.anomaly(`payment ${key}: 201 with an unexpected body ${JSON.stringify(b)}`);
        return;
      }
      if (this.book.payments.has(b.id)) this.anomaly(`payment ${key}: answered with payment ${b.id}, already acknowledged to another request`);
      const ack: AckPayment = { id: b.id, key, merchant: m, residentId: r.id, cardId: r.cardId, cents: amount, round: this.round };
      this.book.payments.set(b.id, ack);
      this.book.refundable.push(ack);
      this.counts.payments++;
      this.record('payment', '/v1/payments', m.key, m.keyId, key, body, a, b.id);
    } else if (a.status === 402 && typeof a.body?.paymentId === 'string') {
      this.book.declines.set(a.body.paymentId, { key, code: a.body.code, round: this.round });
      this.counts.declines++;
      this.record('payment', '/v1/payments', m.key, m.keyId, key, body, a, a.body.paymentId);
    } else {
      this.anomaly(`payment ${key}: unexpected answer ${a.status} ${JSON.stringify(a.body)}`);
    }
  }

  private async topUp(seq: string): Promise<void> {
    const r = this.rnd.pick(this.fx.payers);
    const amount = this.rnd.int(100, 3000);
    const key = this.key('top-up', seq);
    const body = { cardId: r.cardId, amount: cents(amount), method: this.rnd.pick(['cash', 'bank_card', 'mobile']) };
    const a = await this.http.send('POST', '/v1/top-ups', this.fx.desk.key, body, key);
    if (a.status === 201) {
      const b = a.body;
      if (b?.cardId !== r.cardId || b.amount !== cents(amount) || typeof b.id !== 'string') {
        this.anomaly(`top-up ${key}: 201 with an unexpected body ${JSON.stringify(b)}`);
        return;
      }
      if (this.book.topUps.has(b.id)) this.anomaly(`top-up ${key}: answered with top-up ${b.id}, already acknowledged to another request`);
      this.book.topUps.set(b.id, { id: b.id, key, residentId: r.id, cents: amount, round: this.round });
      this.counts.topUps++;
      this.record('top_up', '/v1/top-ups', this.fx.desk.key, this.fx.desk.keyId, key, body, a, b.id);
    } else if (a.status === 409 && a.body?.code === 'balance_limit_exceeded') {
      this.book.refusedTopUps++;
      this.counts.refusedTopUps++;
      this.record('top_up', '/v1/top-ups', this.fx.desk.key, this.fx.desk.keyId, key, body, a, null);
    } else {
      this.anomaly(`top-up ${key}: unexpected answer ${a.status} ${JSON.stringify(a.body)}`);
    }
  }

  private async refund(seq: string): Promise<void> {
    const pool = this.book.refundable;
    if (pool.length === 0) {
      await sleep(20);
      return;
    }
    const p = pool.splice(this.rnd.int(0, pool.length - 1), 1)[0];
    const amount = this.rnd.int(1, p.cents);
    const key = this.key('refund', seq);
    const body = { amount: cents(amount) };
    const path = `/v1/payments/${p.id}/refunds`;
    const a = await this.http.send('POST', path, p.merchant.key, body, key);
    if (a.status === 201) {
      const b = a.body;
      if (b?.paymentId !== p.id || b.amount !== cents(amount) || typeof b.id !== 'string') {
        this.anomaly(`refund ${key}: 201 with an unexpected body ${JSON.stringify(b)}`);
        return;
      }
      if (this.book.refunds.has(b.id)) this.anomaly(`refund ${key}: answered with refund ${b.id}, already acknowledged to another request`);
      this.book.refunds.set(b.id, { id: b.id, key, payment: p, cents: amount, round: this.round });
      this.counts.refunds++;
      this.record('refund', path, p.merchant.key, p.merchant.keyId, key, body, a, b.id);
    } else {
      // Each payment is refunded once, by at most its amount: any refusal (refund_exceeds_payment above all) means money moved twice or got lost.
      this.anomaly(`refund ${key} of payment ${p.id} (${cents(p.cents)}) by ${cents(amount)}: unexpected answer ${a.status} ${JSON.stringify(a.body)}`);
    }
  }

  private async doorCheck(k: Fixture['doorKeys'][number]): Promise<void> {
    const door = this.rnd.pick(k.doors);
    const stranger = this.rnd.int(0, 9) === 0;
    const resident: Resident | null = stranger ? null : this.rnd.pick(this.fx.residents);
    const uid = resident?.uid ?? `04EEEEEE${String(this.rnd.int(100000, 999999))}`;
    const a = await this.http.send('POST', '/v1/access/check', k.key, { doorId: door.id, uid });
    this.book.doorChecks++;
    this.counts.doorChecks++;
    const want = expectedDecision(door, resident);
    const reason = resident ? (want === 'allow' ? 'ok' : 'no_access') : 'unknown_card';
    if (a.status !== 200 || a.body?.decision !== want || a.body?.reason !== reason) {
      this.anomaly(`door check at ${door.community} ${door.building ?? 'gate'} for ${uid}: wanted ${want}/${reason}, answered ${a.status} ${JSON.stringify(a.body)}`);
    }
  }

  private async disburse(): Promise<void> {
    const period = periodOf(this.round);
    const key = `crash-${this.run}-disburse-${period}`;
    const body = { period };
    const path = `/v1/subsidy-programs/${this.fx.programId}/disbursements`;
    const a = await this.http.send('POST', path, this.fx.admin.key, body, key);
    const want = this.fx.residents.length;
    if (a.status === 201 && a.body?.recipients === want && toCents(a.body.total) === want * this.fx.allowanceCents && typeof a.body.id === 'string') {
      this.book.disbursements.push({ id: a.body.id, key, period, recipients: a.body.recipients, cents: toCents(a.body.total), round: this.round });
      this.counts.disbursements++;
      this.record('disbursement', path, this.fx.admin.key, this.fx.admin.keyId, key, body, a, a.body.id);
    } else {
      this.anomaly(`disbursement ${period} (${key}): wanted 201 for ${want} recipients, answered ${a.status} ${JSON.stringify(a.body)}`);
    }
  }
}

/** One period per round: 2030-01, 2030-02, ... */
export function periodOf(round: number): string {
  const y = 2030 + Math.floor((round - 1) / 12);
  const m = ((round - 1) % 12) + 1;
  return `${y}-${String(m).padStart(2, '0')}`;
}
