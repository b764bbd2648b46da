import { DomainError } from '../common/domain-error';

export class PaymentNotFound extends DomainError {
  constructor() {
    super('payment_not_found', 'payment not found');
  }
}

export class RefundExceedsPayment extends DomainError {
  constructor(left: string) {
    super('refund_exceeds_payment', `refunds of this payment may add up to its amount; ${left} is left to refund`);
  }
}

export class PaymentNotRefundable extends DomainError {
  constructor() {
    super('payment_not_refundable', 'a declined payment took no money and cannot be refunded');
  }
}

export class BalanceLimitExceeded extends DomainError {
  constructor(cap: string) {
    super('balance_limit_exceeded', `a cash balance may not exceed ${cap}`);
  }
}
