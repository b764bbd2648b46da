/**
 * The ledger's result codes. Like TigerBeetle's, each names exactly one reason a
 * transfer or account was not created, so callers can branch on them and clients
 * can show them.
 */
export type LedgerErrorCode =
  | 'insufficient_funds'
  | 'exists_with_different_body'
  | 'account_not_found'
  | 'currency_mismatch'
  | 'invalid_amount'
  | 'unbalanced_transfer'
  | 'too_few_postings'
  | 'invalid_transfer';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly accountId?: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}
