import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { OpsModule } from '../ops/ops.module';
import { AuditController } from './audit.controller';
import { AuditRecorder } from './audit-recorder';
import { AuditRepository } from './audit.repository';
import { ListAuditEventsHandler } from './queries/list-audit-events.handler';

/**
 * The audit trail: who did what, when, with which key and from which address.
 *
 * - What is a staff action, and what of it is kept: staff-action.ts (the policy).
 * - How it is written: audit-recorder.ts, a Fastify onSend hook over every route Nest
 *   serves, awaited before the answer is sent. POST /v1/payments and POST
 *   /v1/access/check are answered by the node:http fast lane (src/lane/), in front of
 *   Fastify, so no hook sees them; they are merchant and door calls, not staff actions.
 * - Where: audit_events (migrations/20261202000001_audit_log.ts), append-only by
 *   triggers; the service needs INSERT and SELECT on it and nothing else.
 * - Read by auditors and admins: GET /v1/audit/events, newest first.
 */
@Module({
  imports: [DiscoveryModule, AuthModule, OpsModule],
  controllers: [AuditController],
  providers: [AuditRepository, AuditRecorder, ListAuditEventsHandler],
})
export class AuditModule {}
