import { mergeCells, percentiles, type Cell, type Percentiles } from './load';
import type { KindName, SoakThresholds } from './options';
import type { HeapAfterGc, Sample } from './sampler';

const MB = 1024 * 1024;

export interface KindFigures {
  sent: number;
  answered: number;
  perSecond: number;
  latencyMs: Percentiles;
  statuses: Record<string, number>;
  unexpected: number;
  errors: number;
  timeouts: number;
  dropped: number;
  skipped: number;
}

export interface IntervalRow {
  /** Measured seconds at the interval's end. */
  t: number;
  /** A disbursement ran (from its request to its answer, plus a second) during this interval. */
  disbursement: boolean;
  kinds: Partial<Record<KindName, KindFigures>>;
  all: KindFigures;
  sample: Sample | null;
}

export interface MinuteRow {
  minute: number;
  intervals: number;
  /** Intervals left out of the latency figures below because a disbursement ran in them. */
  disbursementIntervals: number;
  answeredPerSecond: number;
  paymentsPerSecond: number;
  /** p99 per kind and overall, over the minute's intervals without a disbursement. */
  p50: Partial<Record<KindName | 'all', number>>;
  p99: Partial<Record<KindName | 'all', number>>;
  /** The same over every interval of the minute, disbursements included. */
  p99WithDisbursements: Partial<Record<KindName | 'all', number>>;
  rssMb: number | null;
  heapUsedMb: number | null;
  heapAfterGcMb: number | null;
}

export interface Check {
  name: string;
  rule: string;
  measured: string;
  pass: boolean;
}

export function figures(cell: Cell, seconds: number): KindFigures {
  return {
    sent: cell.sent,
    answered: cell.answered,
    perSecond: Math.round((cell.answered / seconds) * 10) / 10,
    latencyMs: percentiles(cell.latencies),
    statuses: cell.statuses,
    unexpected: cell.unexpected,
    errors: cell.errors,
    timeouts: cell.timeouts,
    dropped: cell.dropped,
    skipped: cell.skipped,
  };
}

/** Everything wrong with a cell: answers other than expected, socket errors, timeouts, requests the client could not send. */
export function failures(c: { unexpected: number; errors: number; timeouts: number; dropped: number }): number {
  return c.unexpected + c.errors + c.timeouts + c.dropped;
}

export function minuteRows(intervals: Map<KindName, Cell>[], rows: IntervalRow[], gc: HeapAfterGc[], sampleSeconds: number, kinds: KindName[]): MinuteRow[] {
  const per = Math.max(1, Math.round(60 / sampleSeconds));
  const out: MinuteRow[] = [];
  for (let m = 0; m * per < intervals.length; m++) {
    const idx = range(m * per, Math.min(intervals.length, (m + 1) * per));
    out.push(minuteOf(m, idx, intervals, rows, gc, sampleSeconds, kinds));
  }
  return out;
}

/** Latency figures over a set of intervals, with or without the disbursement intervals. */
export function windowP99(intervals: Map<KindName, Cell>[], rows: IntervalRow[], idx: number[], kind: KindName | 'all', withDisbursements: boolean): Percentiles {
  const use = idx.filter((i) => withDisbursements || !rows[i].disbursement);
  const cells = use.flatMap((i) => (kind === 'all' ? [...intervals[i].values()] : [intervals[i].get(kind)]));
  return percentiles(mergeCells(cells).latencies);
}

function minuteOf(m: number, idx: number[], intervals: Map<KindName, Cell>[], rows: IntervalRow[], gc: HeapAfterGc[], sampleSeconds: number, kinds: KindName[]): MinuteRow {
  const seconds = idx.length * sampleSeconds;
  const all = mergeCells(idx.flatMap((i) => [...intervals[i].values()]));
  const pay = mergeCells(idx.map((i) => intervals[i].get('payment')));
  const p50: MinuteRow['p50'] = {};
  const p99: MinuteRow['p99'] = {};
  const p99With: MinuteRow['p99WithDisbursements'] = {};
  for (const k of [...kinds, 'all' as const]) {
    const clean = windowP99(intervals, rows, idx, k, false);
    p50[k] = clean.p50;
    p99[k] = clean.p99;
    p99With[k] = windowP99(intervals, rows, idx, k, true).p99;
  }
  const lastSample = rows[idx[idx.length - 1]]?.sample;
  const start = idx[0] * sampleSeconds;
  const end = (idx[idx.length - 1] + 1) * sampleSeconds;
  const g = gc.filter((x) => x.t > start && x.t <= end + 1).pop();
  return {
    minute: m + 1,
    intervals: idx.length,
    disbursementIntervals: idx.filter((i) => rows[i].disbursement).length,
    answeredPerSecond: Math.round((all.answered / seconds) * 10) / 10,
    paymentsPerSecond: Math.round((pay.answered / seconds) * 10) / 10,
    p50,
    p99,
    p99WithDisbursements: p99With,
    rssMb: mb(lastSample?.metrics?.residentBytes ?? lastSample?.procRssBytes ?? null),
    heapUsedMb: mb(lastSample?.metrics?.heapUsedBytes ?? null),
    heapAfterGcMb: g ? mb(g.heapUsedAfter) : null,
  };
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface MemoryVerdict {
  rss: { fromSecond: number; samples: number; slopeMbPerMin: number | null; fittedGrowthMb: number | null; firstMb: number | null; lastMb: number | null; check: Check };
  heapAfterGc: { samples: number; firstMb: number | null; lastMb: number | null; growthMb: number | null; slopeMbPerMin: number | null; check: Check };
}

export function memoryVerdict(samples: Sample[], gc: HeapAfterGc[], seconds: number, t: SoakThresholds): MemoryVerdict {
  // V8 grows its committed heap and malloc its arenas towards the working set in the first
  // minutes (session 4: RSS 188 -> 200 MB by 300 s, then 200 +- 3 MB to the end, heap after GC
  // flat), so growth is judged over the last two thirds, where a leak keeps climbing.
  const from = Math.round(seconds / 3);
  const pts = samples
    .filter((s) => s.t > from)
    .map((s) => ({ x: s.t / 60, y: (s.metrics?.residentBytes ?? s.procRssBytes ?? NaN) / MB }))
    .filter((p) => Number.isFinite(p.y));
  const rssSlope = pts.length >= 3 ? round(slope(pts), 3) : null;
  const windowMin = (seconds - from) / 60;
  const fitted = rssSlope === null ? null : round(rssSlope * windowMin, 2);
  const rss = {
    fromSecond: from,
    samples: pts.length,
    slopeMbPerMin: rssSlope,
    fittedGrowthMb: fitted,
    firstMb: pts.length ? round(pts[0].y, 1) : null,
    lastMb: pts.length ? round(pts[pts.length - 1].y, 1) : null,
    check: {
      name: 'memory: RSS flat',
      rule:
        `least-squares slope of the service's RSS over the samples after ${from} s (the last two thirds of the run) ≤ ${t.rssSlopeMbPerMin} MB/min, ` +
        `or the growth of the fitted line over those ${windowMin.toFixed(1)} min ≤ ${t.rssNoiseMb} MB (one GC's swing)`,
      measured:
        rssSlope === null
          ? `only ${pts.length} samples`
          : `${rssSlope.toFixed(2)} MB/min, fitted growth ${fitted!.toFixed(1)} MB (samples ${pts[0].y.toFixed(1)} → ${pts[pts.length - 1].y.toFixed(1)} MB, min ${Math.min(...pts.map((p) => p.y)).toFixed(1)}, max ${Math.max(...pts.map((p) => p.y)).toFixed(1)})`,
      pass: rssSlope !== null && (rssSlope <= t.rssSlopeMbPerMin || fitted! <= t.rssNoiseMb),
    },
  };
  const g = gc.map((x) => ({ x: x.t / 60, y: x.heapUsedAfter / MB }));
  const growth = g.length >= 2 ? round(g[g.length - 1].y - g[0].y, 2) : null;
  const heapAfterGc = {
    samples: g.length,
    firstMb: g.length ? round(g[0].y, 2) : null,
    lastMb: g.length ? round(g[g.length - 1].y, 2) : null,
    growthMb: growth,
    slopeMbPerMin: g.length >= 3 ? round(slope(g), 3) : null,
    check: {
      name: 'memory: heap after GC flat',
      rule: `heap used right after a forced full GC, last sample (end of run) − first (t = ${gc[0]?.t ?? '?'} s) ≤ ${t.heapGrowthMb} MB`,
      measured: growth === null ? `only ${g.length} samples` : `${growth >= 0 ? '+' : ''}${growth.toFixed(2)} MB (${g[0].y.toFixed(2)} → ${g[g.length - 1].y.toFixed(2)} MB over ${g.length} samples)`,
      pass: growth !== null && growth <= t.heapGrowthMb,
    },
  };
  return { rss, heapAfterGc };
}

export interface LatencyVerdict {
  firstWindow: { fromSecond: number; toSecond: number; intervals: number };
  lastWindow: { fromSecond: number; toSecond: number; intervals: number };
  overlap: boolean;
  byKind: Record<string, { first: Percentiles; last: Percentiles; check: Check }>;
}

/**
 * p99 over the last third of the measured run against the first third, per judged kind,
 * leaving out disbursement intervals. Thirds, not minutes: at three quarters of two shared
 * cores, any burst of background work (a checkpoint, a vacuum, a GC) backs requests up for
 * a few seconds, and whether such an episode falls in the one first or last minute decided
 * the old minute-against-minute rule more than any trend did. A trend (state that grows
 * with the run, like the merchants' day totals of session 3) shows over thirds as well.
 */
export function latencyVerdict(intervals: Map<KindName, Cell>[], rows: IntervalRow[], sampleSeconds: number, judged: (KindName | 'all')[], t: SoakThresholds): LatencyVerdict {
  const third = Math.max(1, Math.floor(intervals.length / 3));
  const first = range(0, third);
  const last = range(Math.max(0, intervals.length - third), intervals.length);
  const byKind: LatencyVerdict['byKind'] = {};
  for (const k of judged) {
    const f = windowP99(intervals, rows, first, k, false);
    const l = windowP99(intervals, rows, last, k, false);
    const ok = Number.isFinite(f.p99) && Number.isFinite(l.p99) && (l.p99 <= f.p99 * t.p99Ratio || l.p99 - f.p99 <= t.p99SlackMs);
    byKind[k] = {
      first: f,
      last: l,
      check: {
        name: `p99 flat: ${k}`,
        rule: `p99 over the last third of the run ≤ ${t.p99Ratio} × p99 over the first third, or at most ${t.p99SlackMs} ms above it (disbursement intervals left out)`,
        measured: `${f.p99.toFixed(2)} → ${l.p99.toFixed(2)} ms (×${(l.p99 / f.p99).toFixed(2)}; n ${f.n} / ${l.n})`,
        pass: ok,
      },
    };
  }
  const win = (idx: number[]) => ({ fromSecond: idx[0] * sampleSeconds, toSecond: (idx[idx.length - 1] + 1) * sampleSeconds, intervals: idx.length });
  return { firstWindow: win(first), lastWindow: win(last), overlap: last[0] < first[first.length - 1] + 1, byKind };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function mb(bytes: number | null): number | null {
  return bytes === null ? null : round(bytes / MB, 1);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
