import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { statusForCode } from '../common/error-status';
import { ImportFailed } from './bills.errors';

/** The contract's error body plus the per-line report, which the app-wide filter would drop. */
@Catch(ImportFailed)
export class ImportFailedFilter implements ExceptionFilter {
  catch(err: ImportFailed, host: ArgumentsHost): void {
    const statusCode = statusForCode(err.code);
    void host.switchToHttp().getResponse<FastifyReply>().status(statusCode).send({ statusCode, code: err.code, message: err.message, errors: err.errors });
  }
}
