/**
 * Loaded into the service with `node --require` when the bench profiles it. It adds no
 * code path to the service itself: SIGUSR2 starts the V8 sampling profiler, the next
 * SIGUSR2 stops it and writes BENCH_PROFILE_FILE. That way the profile covers exactly
 * one measured scenario, not start-up or the fixture's set-up.
 *
 * (`node --cpu-prof` would profile the whole life of the process and only writes on a
 * clean exit, which a SIGTERM'd Nest app does not make.)
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const target = process.env.BENCH_PROFILE_FILE;
if (target) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      // 1 ms sampling: fine enough for per-request costs of a few hundred microseconds, cheap enough not to move the figures much.
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      if (err) {
        console.error(`profiler: ${err.message}`);
        return;
      }
      // Written beside and renamed, so the bench never reads half a file.
      writeFileSync(`${target}.tmp`, JSON.stringify(result.profile));
      renameSync(`${target}.tmp`, target);
    });
  });
}
