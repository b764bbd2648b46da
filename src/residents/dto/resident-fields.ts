import { registerDecorator, type ValidationOptions } from 'class-validator';
import { isValidIdNumber, normalizeIdNumber } from '../id-number';
import { normalizePhone } from '../phone';

/** Tags are lower-case slugs such as `dibao` (低保) or `disabled`. */
export const TAG = /^[a-z][a-z0-9_-]{0,31}$/;

/** Transforms (run before validation) that put input in its stored form without judging it. */
export const toIdNumber = ({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeIdNumber(value) : value);
export const toPhone = ({ value }: { value: unknown }) => normalizePhone(value) ?? value;

function rule(name: string, message: string, validate: (value: unknown) => boolean) {
  return (options: ValidationOptions = {}): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({ name, target: target.constructor, propertyName: propertyName as string, options: { message, ...options }, validator: { validate } });
}

/** The message never repeats the value: an ID number must not reach a log through an error. */
export const IsIdNumber = rule('isIdNumber', 'idNumber must be an 18-character PRC resident ID number with a valid check digit', (v) => isValidIdNumber(v));

export const IsPhone = rule('isPhone', 'phone must be a mainland mobile number or a landline with its area code', (v) => typeof v === 'string' && normalizePhone(v) === v);
