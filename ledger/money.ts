import Decimal from 'decimal.js';

/** Yuan with at most two decimals, as the contract writes it on the wire. */
export const MONEY_PATTERN = /^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$/;

/** The largest amount one posting may carry; NUMERIC(20,2) holds far more, this keeps sums safe. */
export const MAX_AMOUNT = new Decimal('9999999999.99');

/**
 * Parses a wire amount ("12.5", "0.01") into a Decimal. Returns null for anything that
 * is not a plain non-negative yuan amount with at most two decimals.
 */
export function parseMoney(text: unknown): Decimal | null {
  if (typeof text !== 'string' || !MONEY_PATTERN.test(text)) return null;
  return new Decimal(text);
}

/** Whether a Decimal is a whole number of fen (no third decimal), within bounds. */
export function isFen(amount: Decimal): boolean {
  return amount.isFinite() && amount.decimalPlaces() <= 2 && amount.abs().lte(MAX_AMOUNT);
}

/** Formats for the wire and for hashing: always two decimals, never exponent notation. */
export function formatMoney(amount: Decimal): string {
  return amount.toFixed(2);
}

export { Decimal };
