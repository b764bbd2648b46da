import { canonicalJson } from '../../ledger/canonical';
import { formatHhMm } from './windows';

/** A grant window as an offline controller receives it, in the contract's own format. */
export interface ListedWindow {
  validFrom?: string;
  validUntil?: string;
  hours?: { from: string; to: string };
}

/** null: the UID opens the door at any time; otherwise only within one of the windows. */
export type Limits = ListedWindow[] | null;

export interface RightRow {
  uid: string;
  /** null for a right that comes from the resident's address. */
  valid_from: string | null;
  valid_until: string | null;
  hours_from: number | null;
  hours_to: number | null;
  from_grant: boolean;
}

export interface StoredEntry {
  uid: string;
  limits: Limits;
  removed: boolean;
}

export interface EntryChange {
  uid: string;
  limits: Limits;
  removed: boolean;
}

/** Folds address rights and grants into one entry per UID; an unconditional right wins. */
export function mergeRights(rows: RightRow[]): Map<string, Limits> {
  const merged = new Map<string, Limits>();
  for (const row of rows) {
    const current = merged.get(row.uid);
    if (current === null) continue;
    if (!row.from_grant) {
      merged.set(row.uid, null);
      continue;
    }
    const window: ListedWindow = {
      ...(row.valid_from !== null ? { validFrom: row.valid_from } : {}),
      ...(row.valid_until !== null ? { validUntil: row.valid_until } : {}),
      ...(row.hours_from !== null && row.hours_to !== null ? { hours: { from: formatHhMm(row.hours_from), to: formatHhMm(row.hours_to) } } : {}),
    };
    if (Object.keys(window).length === 0) merged.set(row.uid, null);
    else merged.set(row.uid, [...(current ?? []), window]);
  }
  // A stable order, so the same rights always compare (and sign) the same.
  for (const [uid, limits] of merged) if (limits !== null) merged.set(uid, [...limits].sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : 1)));
  return merged;
}

/** What must change in the stored list to make it the wanted one. */
export function diffEntries(wanted: Map<string, Limits>, stored: StoredEntry[]): EntryChange[] {
  const changes: EntryChange[] = [];
  const seen = new Set<string>();
  for (const entry of stored) {
    seen.add(entry.uid);
    const limits = wanted.get(entry.uid);
    if (limits === undefined) {
      if (!entry.removed) changes.push({ uid: entry.uid, limits: null, removed: true });
      // jsonb stores keys in its own order: compare canonical forms, not the stored text.
    } else if (entry.removed || canonicalJson(limits) !== canonicalJson(entry.limits)) {
      changes.push({ uid: entry.uid, limits, removed: false });
    }
  }
  for (const [uid, limits] of wanted) if (!seen.has(uid)) changes.push({ uid, limits, removed: false });
  return changes;
}

/** The conditional entries of a list, keyed by UID; UIDs absent from it open the door at any time. */
export function limitsOf(entries: { uid: string; limits: Limits }[]): Record<string, ListedWindow[]> {
  const limits: Record<string, ListedWindow[]> = {};
  for (const e of entries) if (e.limits !== null) limits[e.uid] = e.limits.map(orderedWindow);
  return limits;
}

/** Windows in one key order on the wire, whatever order jsonb kept them in. */
function orderedWindow(w: ListedWindow): ListedWindow {
  return {
    ...(w.validFrom !== undefined ? { validFrom: w.validFrom } : {}),
    ...(w.validUntil !== undefined ? { validUntil: w.validUntil } : {}),
    ...(w.hours !== undefined ? { hours: { from: w.hours.from, to: w.hours.to } } : {}),
  };
}
