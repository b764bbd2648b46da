import { Injectable, type OnModuleInit } from '@nestjs/common';
import { FastLane } from '../lane/fast-lane';
import { CheckAccessCommand } from './commands/check-access.command';
import { CheckAccessHandler } from './commands/check-access.handler';
import { parseCheckBody } from './dto/check-access.body';

/**
 * POST /v1/access/check rides the fast lane (src/lane/fast-lane.ts): a decision is a
 * map lookup, and doors need thousands a second. Every check lands in the access log,
 * so the request log does not miss it.
 */
@Injectable()
export class DoorCheckRoute implements OnModuleInit {
  constructor(
    private readonly lane: FastLane,
    private readonly checks: CheckAccessHandler,
  ) {}

  onModuleInit(): void {
    this.lane.register({
      method: 'POST',
      path: '/v1/access/check',
      roles: ['door'],
      openapi: CHECK_OPENAPI,
      handle: async ({ principal, body }) => {
        const { doorId, uid } = parseCheckBody(body);
        return { status: 200, body: await this.checks.execute(new CheckAccessCommand(doorId, uid, principal)) };
      },
    });
  }
}

const CHECK_OPENAPI = {
  post: {
    tags: ['doors'],
    summary: 'Decide whether a card opens a door (door keys, for their own doors)',
    security: [{ bearer: [] }],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['doorId', 'uid'],
            additionalProperties: false,
            properties: { doorId: { type: 'string', format: 'uuid' }, uid: { type: 'string', example: '04A1B2C3D4E5F6' } },
          },
        },
      },
    },
    responses: {
      '200': {
        description: 'the decision',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                decision: { type: 'string', enum: ['allow', 'deny'] },
                reason: { type: 'string', enum: ['ok', 'unknown_card', 'card_not_active', 'no_access', 'outside_hours'] },
                cardId: { type: 'string', format: 'uuid' },
              },
            },
          },
        },
      },
      '400': { description: 'validation_failed' },
      '401': { description: 'unauthorized' },
      '403': { description: "forbidden: not a door key, or not this key's door" },
      '404': { description: 'door_not_found' },
    },
  },
};
