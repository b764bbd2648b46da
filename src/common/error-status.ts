import { DomainError } from './domain-error';
import { LedgerError } from '../../ledger/errors';

/** The one table from error codes to HTTP statuses. A code not listed here is a 400. */
const STATUS: Record<string, number> = {
  validation_failed: 400,
  idempotency_key_required: 400,
  unauthorized: 401,
  insufficient_funds: 402,
  forbidden: 403,
  not_found: 404,
  api_key_not_found: 404,
  resident_not_found: 404,
  card_not_found: 404,
  merchant_not_found: 404,
  payment_not_found: 404,
  bill_not_found: 404,
  project_not_found: 404,
  donation_not_found: 404,
  program_not_found: 404,
  door_not_found: 404,
  grant_not_found: 404,
  method_not_allowed: 405,
  idempotency_key_in_progress: 409,
  exists_with_different_body: 409,
  resident_exists: 409,
  uid_in_use: 409,
  uid_retired: 409,
  resident_has_card: 409,
  card_not_active: 409,
  card_not_locked: 409,
  balance_limit_exceeded: 409,
  refund_exceeds_payment: 409,
  payment_not_refundable: 409,
  bill_exists: 409,
  bill_already_paid: 409,
  card_resident_mismatch: 409,
  period_already_disbursed: 409,
  insufficient_program_funds: 409,
  program_not_allowance: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  import_failed: 422,
  account_not_found: 422,
  currency_mismatch: 422,
  invalid_amount: 422,
  unbalanced_transfer: 422,
  too_few_postings: 422,
  invalid_transfer: 422,
  too_many_requests: 429,
  internal_error: 500,
  service_unavailable: 503,
};

export function statusForCode(code: string): number {
  return STATUS[code] ?? 400;
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/** The contract's error body for errors the domain or the ledger raised; null for anything else. */
export function errorBodyFor(err: unknown): ErrorBody | null {
  if (err instanceof DomainError || err instanceof LedgerError) {
    return { statusCode: statusForCode(err.code), code: err.code, message: err.message };
  }
  return null;
}
