import type { DoorRow, GrantRow } from './access.repository';
import { formatHhMm } from './windows';

export interface DoorView {
  id: string;
  name: string;
  community: string;
  building: string | null;
  createdAt: string;
}

export interface GrantView {
  id: string;
  doorId: string;
  residentId: string;
  validFrom: string | null;
  validUntil: string | null;
  hours: { from: string; to: string } | null;
  createdAt: string;
  revokedAt: string | null;
}

export const doorView = (r: DoorRow): DoorView => ({
  id: r.id,
  name: r.name,
  community: r.community,
  building: r.building,
  createdAt: r.created_at.toISOString(),
});

export const grantView = (r: GrantRow): GrantView => ({
  id: r.id,
  doorId: r.door_id,
  residentId: r.resident_id,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  hours: r.hours_from === null || r.hours_to === null ? null : { from: formatHhMm(r.hours_from), to: formatHhMm(r.hours_to) },
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
});
