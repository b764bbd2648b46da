import { canonicalJson, sha256Hex } from './canonical';

/**
 * Tamper evidence: committed transactions are sealed one after another into a hash
 * chain, each link hashing its transaction's full content and the previous link.
 * Changing, removing or inserting anything sealed breaks every later link.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** A transaction exactly as it is hashed: every value as text, entries in a fixed order. */
export interface ChainTransaction {
  id: string;
  kind: string;
  /** ISO 8601 UTC with microseconds, as PostgreSQL stores it. */
  createdAt: string;
  bodyHash: string;
  metadata: Record<string, unknown>;
  entries: { accountId: string; amount: string }[];
}

export interface ChainLink {
  /** 1, 2, 3... as a decimal string (a bigint in the database). */
  position: string;
  transactionId: string;
  prevHash: string;
  hash: string;
}

export function sealHash(prevHash: string, position: string, tx: ChainTransaction): string {
  const entries = [...tx.entries].sort((a, b) =>
    a.accountId === b.accountId ? compare(a.amount, b.amount) : compare(a.accountId, b.accountId),
  );
  return sha256Hex(
    canonicalJson({
      prevHash,
      position,
      id: tx.id,
      kind: tx.kind,
      createdAt: tx.createdAt,
      bodyHash: tx.bodyHash,
      metadata: tx.metadata,
      entries,
    }),
  );
}

/** Links the given transactions, in the order given, after the chain's current head. */
export function extendChain(head: { position: string; hash: string } | null, txs: ChainTransaction[]): ChainLink[] {
  let position = BigInt(head?.position ?? '0');
  let prevHash = head?.hash ?? GENESIS_HASH;
  return txs.map((tx) => {
    position += 1n;
    const link = { position: position.toString(), transactionId: tx.id, prevHash, hash: sealHash(prevHash, position.toString(), tx) };
    prevHash = link.hash;
    return link;
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
