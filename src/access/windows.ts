/**
 * Grant windows are written in Asia/Shanghai time, which has had no daylight saving
 * since 1991: local time is UTC+8 all year, so no time-zone database is needed.
 */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

export interface Hours {
  /** Minutes after local midnight; `to` is exclusive, and `to` < `from` wraps past midnight. */
  from: number;
  to: number;
}

export interface GrantWindow {
  /** Inclusive local calendar days, 'YYYY-MM-DD'; null is open-ended. */
  validFrom: string | null;
  validUntil: string | null;
  hours: Hours | null;
}

export interface ShanghaiClock {
  day: string;
  minute: number;
}

export function shanghaiClock(now: Date): ShanghaiClock {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  return { day: local.toISOString().slice(0, 10), minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
}

/**
 * Whether a window is open at a moment. Dates apply to the local day of the moment
 * itself, so a night shift 22:00-06:00 that ends on validUntil stops at midnight.
 */
export function windowOpen(w: GrantWindow, clock: ShanghaiClock): boolean {
  if (w.validFrom !== null && clock.day < w.validFrom) return false;
  if (w.validUntil !== null && clock.day > w.validUntil) return false;
  if (w.hours === null) return true;
  const { from, to } = w.hours;
  return from < to ? clock.minute >= from && clock.minute < to : clock.minute >= from || clock.minute < to;
}

const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** "07:30" → 450; null for anything that is not a 24-hour HH:MM time. */
export function parseHhMm(value: unknown): number | null {
  const m = typeof value === 'string' ? HH_MM.exec(value) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export function formatHhMm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
