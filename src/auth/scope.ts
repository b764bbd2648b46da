import { Forbidden } from './auth.errors';
import type { Principal } from './principal';

/** A terminal key acts for its own merchant only; other roles that reach a route may act for any. */
export function assertMerchantScope(principal: Principal, merchantId: string): void {
  if (principal.role === 'merchant' && principal.merchantId !== merchantId.toLowerCase()) {
    throw new Forbidden("this terminal's key belongs to another merchant");
  }
}

/** A door controller's key acts for its own doors only; admins and others that reach a route may act for any. */
export function assertDoorScope(principal: Principal, doorId: string): void {
  if (principal.role === 'door' && !principal.doorIds.includes(doorId.toLowerCase())) {
    throw new Forbidden("this controller's key does not cover this door");
  }
}
