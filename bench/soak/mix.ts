import type { CheckRequest } from '../access/mix';
import type { Merchant } from '../payments/fixture';
import type { Kind, Outgoing } from './load';
import { MIX_SHARES, UNKNOWN_CARD_SHARE, type KindName } from './options';

/** What the mix works on: the payments fixture (cards and merchants), the operator key and the door checks. */
export interface SoakWorld {
  /** Payment cards by index: UID (as the service prints it) and card id. */
  uids: string[];
  cardIds: string[];
  merchants: Merchant[];
  operatorKey: string;
  doorChecks: CheckRequest[];
  /** Prefix of every Idempotency-Key this run sends (`<runTag>-<kind>.<n>`), so its records can be found in the database. */
  runTag: string;
}

/** Money requests of one kind as the client saw them, for reconciling with the database. */
export interface MoneyTally {
  /** The Idempotency-Key prefix of this kind: `<runTag>-<id>.` */
  prefix: string;
  sent: number;
  /** 201 answers and the sum of their amounts, in cents. */
  ok: number;
  okCents: number;
  /** Sent and not answered (yet): key → amount in cents. Whatever is left at the end is looked up in the database. */
  pending: Map<string, number>;
}

interface Approved {
  id: string;
  merchant: number;
  card: number;
  cents: number;
  /** The part paid from the cash wallet (the rest from allowance lots). */
  cashCents: number;
}

/** Approved payments kept for reads (the most recent ones) and for refunds (not refunded yet). */
const RECENT = 20_000;
const REFUNDABLE = 50_000;

const SHANGHAI_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/**
 * The soak's request kinds, each at its share of the payment rate (MIX_SHARES), and the
 * little state they share: approved payments (read back and refunded), and for every
 * card a lower bound of its room under the cash cap, so top-ups are never refused.
 *
 * Room: every card starts at the cap (bench/payments' fixture tops up to 5,000.00, the
 * default CASH_BALANCE_CAP). A payment's cash part adds to the room once it is answered;
 * a top-up takes its amount off when it is sent, and so does a refund whatever of it could
 * go back to cash. The service can only have more room than this, never less.
 */
export class SoakMix {
  readonly payments: MoneyTally;
  readonly refunds: MoneyTally;
  readonly topUps: MoneyTally;
  /** Payments with an unknown UID that were declined (402 unknown_card), as intended. */
  intendedDeclines = 0;
  private readonly room: Float64Array;
  private readonly recent: Approved[] = [];
  private recentNext = 0;
  private readonly refundable: Approved[] = [];
  private doorNext = 0;
  private refundWhole = false;

  constructor(private readonly world: SoakWorld) {
    const tally = (id: string): MoneyTally => ({ prefix: `${world.runTag}-${id}.`, sent: 0, ok: 0, okCents: 0, pending: new Map() });
    this.payments = tally('pay');
    this.refunds = tally('refund');
    this.topUps = tally('topup');
    this.room = new Float64Array(world.uids.length);
  }

  kinds(paymentRate: number): Kind[] {
    const make: Record<KindName, () => Outgoing | null> = {
      payment: () => this.payment(),
      doorCheck: () => this.doorCheck(),
      paymentRead: () => this.paymentRead(),
      topUp: () => this.topUp(),
      refund: () => this.refund(),
      merchantList: () => this.merchantList(),
    };
    return (Object.keys(MIX_SHARES) as KindName[]).map((name) => ({ name, rate: paymentRate * MIX_SHARES[name], next: make[name] }));
  }

  private key(t: MoneyTally, cents: number): string {
    const key = `${t.prefix}${++t.sent}`;
    t.pending.set(key, cents);
    return key;
  }

  private payment(): Outgoing {
    const w = this.world;
    const card = pick(w.uids.length);
    const merchant = pick(w.merchants.length);
    const unknown = Math.random() < UNKNOWN_CARD_SHARE;
    // Payment cards are 4-byte UIDs B0000000..; door cards 04 + 6 bytes. E0000000.. is nobody's.
    const uid = unknown ? `E${Math.floor(Math.random() * 0x10000000).toString(16).toUpperCase().padStart(7, '0')}` : w.uids[card];
    const cents = 1 + pick(100);
    const key = this.key(this.payments, cents);
    return {
      method: 'POST',
      path: '/v1/payments',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${w.merchants[merchant].key}`, 'idempotency-key': key },
      body: `{"uid":"${uid}","amount":"${money(cents)}"}`,
      wantBody: true,
      onAnswer: (status, text) => {
        this.payments.pending.delete(key);
        if (unknown) {
          if (status === 402 && text.includes('"unknown_card"')) {
            this.intendedDeclines++;
            return true;
          }
          return `an unknown UID answered ${status} ${text.slice(0, 200)}`;
        }
        if (status !== 201) return `${status} ${text.slice(0, 300)}`;
        const body = JSON.parse(text) as { id: string; status: string; funding: { wallet: string; amount: string }[] };
        if (body.status !== 'approved') return `201 but ${text.slice(0, 300)}`;
        this.payments.ok++;
        this.payments.okCents += cents;
        const cashCents = body.funding.filter((f) => f.wallet === 'cash').reduce((s, f) => s + toCents(f.amount), 0);
        this.room[card] += cashCents;
        const a: Approved = { id: body.id, merchant, card, cents, cashCents };
        if (this.recent.length < RECENT) this.recent.push(a);
        else this.recent[this.recentNext++ % RECENT] = a;
        if (this.refundable.length < REFUNDABLE) this.refundable.push(a);
        else this.refundable[pick(REFUNDABLE)] = a;
        return true;
      },
    };
  }

  private refund(): Outgoing | null {
    if (this.refundable.length === 0) return null;
    const i = pick(this.refundable.length);
    const p = this.refundable[i];
    // Swap-remove: each payment is refunded once, so no refund can be refused for exceeding what is left.
    this.refundable[i] = this.refundable[this.refundable.length - 1];
    this.refundable.pop();
    this.refundWhole = !this.refundWhole;
    const cents = this.refundWhole || p.cents < 2 ? p.cents : Math.floor(p.cents / 2);
    this.room[p.card] -= Math.min(cents, p.cashCents);
    const key = this.key(this.refunds, cents);
    return {
      method: 'POST',
      path: `/v1/payments/${p.id}/refunds`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.world.merchants[p.merchant].key}`, 'idempotency-key': key },
      body: cents === p.cents ? '{}' : `{"amount":"${money(cents)}"}`,
      wantBody: true,
      onAnswer: (status, text) => {
        this.refunds.pending.delete(key);
        if (status !== 201) return `${status} ${text.slice(0, 300)}`;
        const body = JSON.parse(text) as { amount: string };
        if (toCents(body.amount) !== cents) return `refunded ${body.amount}, asked for ${money(cents)}`;
        this.refunds.ok++;
        this.refunds.okCents += cents;
        return true;
      },
    };
  }

  private topUp(): Outgoing | null {
    const w = this.world;
    let card = -1;
    for (let tries = 0; tries < 32 && card < 0; tries++) {
      const c = pick(w.uids.length);
      if (this.room[c] >= 1) card = c;
    }
    if (card < 0) return null;
    const cents = Math.min(Math.floor(this.room[card]), 50 + pick(951));
    this.room[card] -= cents;
    const key = this.key(this.topUps, cents);
    return {
      method: 'POST',
      path: '/v1/top-ups',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${w.operatorKey}`, 'idempotency-key': key },
      body: `{"cardId":"${w.cardIds[card]}","amount":"${money(cents)}","method":"cash"}`,
      wantBody: true,
      onAnswer: (status, text) => {
        this.topUps.pending.delete(key);
        if (status !== 201) return `${status} ${text.slice(0, 300)}`;
        this.topUps.ok++;
        this.topUps.okCents += cents;
        return true;
      },
    };
  }

  private doorCheck(): Outgoing {
    const r = this.world.doorChecks[this.doorNext++ % this.world.doorChecks.length];
    return {
      method: 'POST',
      path: r.path,
      headers: r.headers,
      body: r.body,
      wantBody: true,
      onAnswer: (status, text) => (status === 200 && text === r.expected ? true : `${r.kind}: expected 200 ${r.expected}, got ${status} ${text.slice(0, 200)}`),
    };
  }

  private paymentRead(): Outgoing | null {
    if (this.recent.length === 0) return null;
    const p = this.recent[pick(this.recent.length)];
    return {
      method: 'GET',
      path: `/v1/payments/${p.id}`,
      headers: { authorization: `Bearer ${this.world.merchants[p.merchant].key}` },
      wantBody: false,
      onAnswer: (status) => (status === 200 ? true : `${status}`),
    };
  }

  private merchantList(): Outgoing {
    const m = this.world.merchants[pick(this.world.merchants.length)];
    return {
      method: 'GET',
      path: `/v1/merchants/${m.id}/payments?date=${SHANGHAI_DAY.format(new Date())}&limit=50`,
      headers: { authorization: `Bearer ${m.key}` },
      wantBody: false,
      onAnswer: (status) => (status === 200 ? true : `${status}`),
    };
  }
}

function pick(n: number): number {
  return Math.floor(Math.random() * n);
}

function money(cents: number): string {
  return (cents / 100).toFixed(2);
}

function toCents(amount: string): number {
  return Math.round(Number(amount) * 100);
}
