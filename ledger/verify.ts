import Decimal from 'decimal.js';
import { GENESIS_HASH, sealHash, type ChainLink, type ChainTransaction } from './chain';
import { formatMoney } from './money';

/** Read-only questions an auditor asks of the stored ledger; the store answers them in bulk. */
export interface AuditSource {
  totals(): Promise<{ transactions: number; entries: number; sum: Decimal }>;
  /** Transactions whose entries do not sum to zero or that have fewer than two entries. */
  unbalancedTransactions(limit: number): Promise<{ transactionId: string; sum: Decimal; entries: number }[]>;
  /** Accounts whose recorded balance differs from the sum of their entries. */
  balanceMismatches(limit: number): Promise<{ accountId: string; recorded: Decimal; computed: Decimal }[]>;
  /** Accounts that may not go negative whose entries sum below zero. */
  negativeBalances(limit: number): Promise<{ accountId: string; balance: Decimal }[]>;
  /** Chain links in position order after `afterPosition`, each with its transaction if it still exists. */
  chainPage(afterPosition: string, limit: number): Promise<{ link: ChainLink; transaction: ChainTransaction | null }[]>;
  /** Transactions not in the chain: recent ones still waiting for the sealer, and ones the sealer has passed by. */
  unsealed(limit: number): Promise<{ pending: number; passedOver: string[] }>;
}

export interface Problem {
  code:
    | 'unbalanced_transaction'
    | 'balance_mismatch'
    | 'negative_balance'
    | 'trial_balance'
    | 'chain_gap'
    | 'chain_broken'
    | 'hash_mismatch'
    | 'transaction_missing'
    | 'unsealed_transaction';
  message: string;
  transactionId?: string;
  accountId?: string;
  position?: string;
}

export interface VerifyReport {
  ok: boolean;
  transactions: number;
  entries: number;
  trialBalance: string;
  chainHead: string | null;
  chainLength: number;
  pendingSeal: number;
  problems: Problem[];
}

const MAX_PROBLEMS = 100;
const PAGE = 2000;

export async function verifyLedger(source: AuditSource): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const report = (p: Problem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };

  const totals = await source.totals();
  if (!totals.sum.isZero()) report({ code: 'trial_balance', message: `all entries sum to ${formatMoney(totals.sum)}, not 0.00` });
  for (const u of await source.unbalancedTransactions(MAX_PROBLEMS)) {
    report({ code: 'unbalanced_transaction', transactionId: u.transactionId, message: `${u.entries} entries summing to ${formatMoney(u.sum)}` });
  }
  for (const m of await source.balanceMismatches(MAX_PROBLEMS)) {
    report({
      code: 'balance_mismatch',
      accountId: m.accountId,
      message: `recorded balance ${formatMoney(m.recorded)} but entries sum to ${formatMoney(m.computed)}`,
    });
  }
  for (const n of await source.negativeBalances(MAX_PROBLEMS)) {
    report({ code: 'negative_balance', accountId: n.accountId, message: `balance ${formatMoney(n.balance)} is below zero` });
  }

  const chain = await verifyChain(source, report);
  const unsealed = await source.unsealed(MAX_PROBLEMS);
  for (const id of unsealed.passedOver) {
    report({ code: 'unsealed_transaction', transactionId: id, message: 'transaction is older than the sealed horizon but not in the chain' });
  }

  return {
    ok: problems.length === 0,
    transactions: totals.transactions,
    entries: totals.entries,
    trialBalance: formatMoney(totals.sum),
    chainHead: chain.head,
    chainLength: chain.length,
    pendingSeal: unsealed.pending,
    problems,
  };
}

async function verifyChain(source: AuditSource, report: (p: Problem) => void): Promise<{ head: string | null; length: number }> {
  let expected = 1n;
  let prevHash = GENESIS_HASH;
  let head: string | null = null;
  let length = 0;
  for (;;) {
    const page = await source.chainPage((expected - 1n).toString(), PAGE);
    for (const { link, transaction } of page) {
      const at = { position: link.position, transactionId: link.transactionId };
      if (BigInt(link.position) !== expected) report({ ...at, code: 'chain_gap', message: `expected position ${expected}` });
      if (link.prevHash !== prevHash) report({ ...at, code: 'chain_broken', message: 'link does not point at the previous link' });
      if (!transaction) report({ ...at, code: 'transaction_missing', message: 'sealed transaction no longer exists' });
      else if (sealHash(link.prevHash, link.position, transaction) !== link.hash) {
        report({ ...at, code: 'hash_mismatch', message: 'transaction content differs from what was sealed' });
      }
      expected = BigInt(link.position) + 1n;
      prevHash = link.hash;
      head = link.hash;
      length += 1;
    }
    if (page.length < PAGE) return { head, length };
  }
}

export { Decimal };
