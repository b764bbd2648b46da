/**
 * Loaded into the service with `node --require` when the bench profiles it. It adds no
 * code path to the service itself: a {profiler: 'start'} message from the bench (over
 * the IPC channel the bench opens only for this) starts the V8 sampling profiler, and
 * {profiler: 'stop'} stops it, writes BENCH_PROFILE_FILE and answers {profileWritten}.
 * That way the profile covers exactly one measured scenario, not start-up or set-up.
 *
 * Not a signal: Nest's enableShutdownHooks() shuts the app down on SIGUSR2 (and SIGUSR1
 * belongs to Node's inspector). Not `node --cpu-prof`: that covers the whole life of
 * the process and writes only on a clean exit, which a SIGTERM'd Nest app does not make.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const target = process.env.BENCH_PROFILE_FILE;
if (target && process.send) {
  const session = new Session();
  session.connect();
  // The channel must not keep the service alive once Nest has shut it down.
  process.channel?.unref();
  process.on('message', (message: { profiler?: 'start' | 'stop' }) => {
    if (message.profiler === 'start') {
      // 1 ms sampling: fine enough for per-request costs of a few hundred microseconds, cheap enough not to move the figures much.
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start', () => process.send!({ profilerStarted: true }))),
      );
    } else if (message.profiler === 'stop') {
      session.post('Profiler.stop', (err, result) => {
        if (err) return process.send!({ profilerError: err.message });
        writeFileSync(target, JSON.stringify(result.profile));
        process.send!({ profileWritten: target });
      });
    }
  });
}
