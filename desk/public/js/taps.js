// @ts-check
/**
 * The station's live taps: GET /v1/stations/:id/events read with fetch, because
 * EventSource cannot send the Authorization header and the key must not go in a URL.
 * Reconnects by itself; a stream silent for longer than two heartbeats is presumed dead.
 */

const SILENCE_MS = 40_000;

/**
 * @param {{ station: string, key: string, onTap: (tap: any) => void, onState: (state: 'connecting' | 'live' | 'offline') => void, onUnauthorized: () => void }} opts
 * @returns {() => void} stops watching
 */
export function watchStation({ station, key, onTap, onState, onUnauthorized }) {
  let stopped = false;
  /** @type {AbortController | undefined} */
  let controller;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let silence;

  const quiet = () => {
    clearTimeout(silence);
    silence = setTimeout(() => controller?.abort(), SILENCE_MS);
  };

  /** @param {string} block one event: "event: tap\ndata: {...}" */
  const handle = (block) => {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (event === 'ready') onState('live');
    else if (event === 'tap') onTap(JSON.parse(data));
    else if (event === 'end' && JSON.parse(data || '{}').code === 'unauthorized') {
      stopped = true;
      onUnauthorized();
    }
  };

  const connect = async () => {
    let delay = 500;
    while (!stopped) {
      onState('connecting');
      controller = new AbortController();
      try {
        const res = await fetch(`/v1/stations/${encodeURIComponent(station)}/events`, {
          headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' },
          signal: controller.signal,
          cache: 'no-store',
          credentials: 'omit',
        });
        if (res.status === 401) {
          stopped = true;
          onUnauthorized();
          return;
        }
        if (res.ok && res.body) {
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          quiet();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            quiet();
            delay = 500;
            buffer += value;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              handle(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
          }
        }
      } catch {
        // Dropped, aborted or unreachable: try again below.
      }
      clearTimeout(silence);
      if (stopped) return;
      onState('offline');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };

  void connect();
  return () => {
    stopped = true;
    clearTimeout(silence);
    controller?.abort();
  };
}
