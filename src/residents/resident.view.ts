import { maskPhone } from './phone';

export interface ResidentRow {
  id: string;
  name: string;
  id_number_masked: string;
  birth_date: string;
  phone: string | null;
  community: string;
  building: string;
  unit: string | null;
  room: string | null;
  tags: string[];
  created_at: Date;
}

export interface ResidentView {
  id: string;
  name: string;
  idNumberMasked: string;
  birthDate: string;
  phoneMasked: string | null;
  address: { community: string; building: string; unit?: string; room?: string };
  tags: string[];
  createdAt: string;
}

/** The only shape a resident leaves the service in: no full ID number, no full phone number. */
export function residentView(r: ResidentRow): ResidentView {
  return {
    id: r.id,
    name: r.name,
    idNumberMasked: r.id_number_masked,
    birthDate: r.birth_date,
    phoneMasked: r.phone ? maskPhone(r.phone) : null,
    address: { community: r.community, building: r.building, ...(r.unit ? { unit: r.unit } : {}), ...(r.room ? { room: r.room } : {}) },
    tags: r.tags,
    createdAt: r.created_at.toISOString(),
  };
}
