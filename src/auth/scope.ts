import { Forbidden } from './auth.errors';
import type { Principal } from './principal';

/** A terminal key acts for its own merchant only; other roles that reach a route may act for any. */
export function assertMerchantScope(principal: Principal, merchantId: string): void {
  if (principal.role === 'merchant' && principal.merchantId !== merchantId) {
    throw new Forbidden("this terminal's key belongs to another merchant");
  }
}
