import { DomainError } from '../common/domain-error';

export class MerchantNotFound extends DomainError {
  constructor() {
    super('merchant_not_found', 'merchant not found');
  }
}
