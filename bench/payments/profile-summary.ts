import { readFileSync } from 'node:fs';

/** A V8 CPU profile as `Profiler.stop` returns it (the .cpuprofile format). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  /** Percent of the profile's non-idle time. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  wallSeconds: number;
  /** Time the main thread was running JavaScript, GC or native code, not waiting in the event loop. */
  busySeconds: number;
  busyPercentOfWall: number;
  /**
   * V8 samples on the wall clock: a native frame such as `writev` (socket writes) also
   * collects the time the thread waited for a CPU after waking the peer. Compare
   * busySeconds with the service's CPU time from /proc before reading these as CPU.
   */
  note: string;
  /** Self time by where the code lives: a package, the service's own modules, Node internals, GC. */
  byModule: ProfileRow[];
  /** Time with a package or service module anywhere on the stack (each sample counted once per module). */
  inclusiveByModule: ProfileRow[];
  /** Self time by function. */
  selfByFunction: ProfileRow[];
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusiveByFunction: ProfileRow[];
}

/** Reads a .cpuprofile and sums it up by module and function, so the report can say where the service's CPU goes. */
export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const modules = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusiveModules = new Map<string, number>();
  let idle = 0;
  let total = 0;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);

  for (let i = 0; i < profile.samples.length; i++) {
    // A sample stands for the time until the next one.
    const us = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    total += us;
    const node = byId.get(profile.samples[i])!;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') {
      idle += us;
      continue;
    }
    add(self, functionKey(node.callFrame), us);
    add(modules, moduleOf(node.callFrame), us);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') continue;
      const key = functionKey(frame);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, us);
      }
      // Packages and the service's own modules only: Node internals and V8 frames are under everything.
      const module = frame.url && !frame.url.startsWith('node:') ? moduleOf(frame) : null;
      if (module && !seen.has(`module ${module}`)) {
        seen.add(`module ${module}`);
        add(inclusiveModules, module, us);
      }
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>, n: number): ProfileRow[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / busy) / 10 }));
  return {
    file,
    wallSeconds: Math.round(total / 1e4) / 100,
    busySeconds: Math.round(busy / 1e4) / 100,
    busyPercentOfWall: Math.round((1000 * busy) / total) / 10,
    note: 'wall-clock sampling: native frames (writev, writeBuffer) include time waiting for a CPU; percentages are of the non-idle samples',
    byModule: rows(modules, 20),
    inclusiveByModule: rows(inclusiveModules, 25),
    selfByFunction: rows(self, top),
    inclusiveByFunction: rows(inclusive, top),
  };
}

function functionKey(frame: { functionName: string; url: string; lineNumber: number }): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return path.slice(dist + 1);
  return path;
}

/** The package a frame belongs to, the service's own folder (dist/src/<folder>), a Node internal, or a V8 pseudo-frame. */
function moduleOf(frame: { functionName: string; url: string }): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native / V8 builtins)';
  const path = frame.url.replace(/^file:\/\//, '');
  if (path.startsWith('node:')) return `node:${path.slice(5).split('/').slice(0, 2).join('/')}`;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = /\/dist\/(src|ledger)\/([^/]+)/.exec(path);
  if (src) return src[1] === 'src' ? `service src/${src[2].replace(/\.js$/, '')}` : `service ledger/${src[2].replace(/\.js$/, '')}`;
  return path;
}
