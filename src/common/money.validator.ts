import { registerDecorator, type ValidationOptions } from 'class-validator';
import { parseMoney } from '../../ledger/money';

/**
 * A request amount: a JSON string in yuan matching the contract's pattern and greater
 * than zero. A JSON number is refused so no amount ever passes through a float.
 */
export function IsMoney(options: ValidationOptions = {}): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isMoney',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be a string amount in yuan greater than zero, like "12.50"`, ...options },
      validator: { validate: (value: unknown) => parseMoney(value)?.gt(0) ?? false },
    });
}
