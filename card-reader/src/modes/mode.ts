import type { Options } from '../args';
import { errorMessage, type ApiAnswer, type ApiClient } from '../http';
import type { Output } from '../output';
import type { ReaderBridge, Tap } from '../reader-bridge';

export interface ModeContext {
  options: Options;
  api: ApiClient;
  out: Output;
  bridge: ReaderBridge;
  /** Aborted when the bridge is stopping: no new retries. */
  signal: AbortSignal;
}

/** A mode, once set up: what it does with each tap ('done' ends the program). */
export interface TapMode {
  /** What the desk is asked to do, printed once the readers are up. */
  prompt: string;
  onTap(tap: Tap): Promise<'done' | 'continue'>;
  stop?(): void;
}

/** Nothing more this run can do (a bad key, a resident that does not exist): stop with exit code 1. */
export class FatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalError';
  }
}

/** A key the service refuses (401) or that may not do this (403) will not improve by tapping again. */
export function fatalIfUnauthorized(answer: ApiAnswer<unknown>, what: string): void {
  if (answer.status === 401) throw new FatalError(`the service does not know this API key (${what}): ${errorMessage(answer)}`);
  if (answer.status === 403) throw new FatalError(`this API key may not ${what}: ${errorMessage(answer)}`);
}
