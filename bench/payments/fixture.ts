import { performance } from 'node:perf_hooks';
import { birthDateOf, checkCharacter } from '../../src/residents/id-number';
import { Api, mapLimited } from './api';

/** Every card is topped up to the default stored-value cap, so no payment of at most 1.00 is declined for funds. */
export const TOP_UP = '5000.00';

export interface Merchant {
  id: string;
  /** The merchant terminal's API key (role merchant, bound to this merchant). */
  key: string;
}

export interface PaymentsFixture {
  merchants: Merchant[];
  /** Card UIDs as the service prints them (upper-case hex). */
  uids: string[];
  topUpTotal: string;
  seconds: { merchants: number; cards: number };
}

/**
 * Creates the world through the HTTP API, as a desk and an admin would: merchants
 * with one terminal key each, and residents each with an active, topped-up card.
 * Going through the API (rather than inserting rows) means the fixture is exactly
 * what the service itself would have made; at a few hundred calls a second it takes
 * about a minute for 10,000 cards.
 */
export async function buildFixture(api: Api, adminKey: string, opts: { cards: number; merchants: number; concurrency: number }, log: (m: string) => void): Promise<PaymentsFixture> {
  const t0 = performance.now();
  const merchants = await mapLimited(range(opts.merchants), 8, async (i) => {
    const m = await api.post<{ id: string }>('/v1/merchants', adminKey, { name: `Bench canteen ${i}`, category: 'canteen' });
    const key = await api.post<{ key: string }>('/v1/api-keys', adminKey, { role: 'merchant', name: `bench terminal ${i}`, merchantId: m.id });
    return { id: m.id, key: key.key };
  });
  const t1 = performance.now();
  log(`  ${merchants.length} merchants with terminal keys in ${((t1 - t0) / 1000).toFixed(1)} s`);

  const desk = await api.post<{ key: string }>('/v1/api-keys', adminKey, { role: 'operator', name: 'bench desk' });
  let done = 0;
  const uids = await mapLimited(range(opts.cards), opts.concurrency, async (i) => {
    const idNumber = residentIdNumber(i);
    const resident = await api.post<{ id: string }>('/v1/residents', desk.key, {
      name: `住户${i}`,
      idNumber,
      birthDate: birthDateOf(idNumber),
      address: { community: '基准新村', building: `${1 + (i % 40)}号楼` },
    });
    const card = await api.post<{ id: string; uid: string }>('/v1/cards', desk.key, { residentId: resident.id, uid: cardUid(i) });
    await api.post('/v1/top-ups', desk.key, { cardId: card.id, amount: TOP_UP, method: 'cash' }, `bench-top-up-${i}`);
    if (++done % 2000 === 0) log(`  ${done} residents with cards`);
    return card.uid;
  });
  const t2 = performance.now();
  log(`  ${uids.length} residents, cards and top-ups in ${((t2 - t1) / 1000).toFixed(1)} s (${(uids.length / ((t2 - t1) / 1000)).toFixed(0)} residents/s, 3 calls each)`);
  return {
    merchants,
    uids,
    topUpTotal: (Number(TOP_UP) * opts.cards).toFixed(2),
    seconds: { merchants: round((t1 - t0) / 1000), cards: round((t2 - t1) / 1000) },
  };
}

/** Distinct, valid GB 11643 numbers: Shanghai Pudong, birth days from 1940 on, 900 sequence numbers a day. */
function residentIdNumber(i: number): string {
  const birth = new Date(Date.UTC(1940, 0, 1) + Math.floor(i / 900) * 86_400_000);
  const yyyymmdd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `310115${yyyymmdd}${String(100 + (i % 900))}`;
  return first17 + checkCharacter(first17);
}

/** Distinct 4-byte UIDs, B0000000, B0000001, ... */
function cardUid(i: number): string {
  return (0xb0000000 + i).toString(16).toUpperCase();
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
