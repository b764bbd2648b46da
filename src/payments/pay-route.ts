import { Injectable, type OnModuleInit } from '@nestjs/common';
import Decimal from 'decimal.js';
import { idempotentRequest } from '../common/idempotency-key.decorator';
import { createValidationPipe } from '../common/validation';
import { FastLane } from '../lane/fast-lane';
import { PayCommand } from './commands/pay.command';
import { PayHandler } from './commands/pay.handler';
import { PaymentDto } from './dto/money-requests.dto';

/**
 * POST /v1/payments rides the fast lane (src/lane/fast-lane.ts): the payment itself
 * is a place in a shared database batch, and at lunch a canteen's terminals send
 * thousands a second. Validation is the ValidationPipe every other route uses, on the
 * same DTO, so the rules and messages are one.
 */
@Injectable()
export class PayRoute implements OnModuleInit {
  private readonly validation = createValidationPipe();

  constructor(
    private readonly lane: FastLane,
    private readonly payments: PayHandler,
  ) {}

  onModuleInit(): void {
    this.lane.register({
      method: 'POST',
      path: '/v1/payments',
      roles: ['merchant'],
      openapi: PAY_OPENAPI,
      handle: async ({ principal, body, headers }) => {
        const dto = (await this.validation.transform(body, { type: 'body', metatype: PaymentDto })) as PaymentDto;
        const key = idempotentRequest(principal, headers['idempotency-key'], { method: 'POST', route: '/v1/payments', params: {}, body: body ?? null });
        const outcome = await this.payments.execute(new PayCommand(dto.uid, new Decimal(dto.amount), dto.description, key, principal));
        return { status: outcome.statusCode, body: outcome.body, headers: outcome.replayed ? { 'Idempotent-Replayed': 'true' } : undefined };
      },
    });
  }
}

const PAY_OPENAPI = {
  post: {
    tags: ['money'],
    summary: 'Charge a tapped card (merchant terminal keys); 201 approved, 402 declined, both recorded and replayed',
    security: [{ bearer: [] }],
    parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['uid', 'amount'],
            additionalProperties: false,
            properties: {
              uid: { type: 'string', example: '04A1B2C3D4E5F6' },
              amount: { type: 'string', example: '12.50', pattern: '^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$' },
              description: { type: 'string', maxLength: 200, example: '午餐' },
            },
          },
        },
      },
    },
    responses: {
      '201': { description: 'approved: {id, status, amount, funding, balance, ...}' },
      '400': { description: 'validation_failed, idempotency_key_required' },
      '401': { description: 'unauthorized' },
      '402': { description: 'declined: insufficient_funds, card_not_active, unknown_card (recorded, with paymentId)' },
      '403': { description: 'forbidden: not a merchant key' },
      '409': { description: 'idempotency_key_in_progress' },
      '422': { description: 'idempotency_key_reused' },
    },
  },
};
