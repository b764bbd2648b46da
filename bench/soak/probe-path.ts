import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Unix socket on which heap-probe.ts, preloaded into the service, answers: one per service process. */
export function heapProbeSocket(pid: number): string {
  return join(tmpdir(), `ccard-soak-heap-${pid}.sock`);
}
