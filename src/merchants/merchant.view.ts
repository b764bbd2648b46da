export interface MerchantRow {
  id: string;
  name: string;
  category: string;
  created_at: Date;
}

export interface MerchantView {
  id: string;
  name: string;
  category: string;
  createdAt: string;
}

export const merchantView = (m: MerchantRow): MerchantView => ({ id: m.id, name: m.name, category: m.category, createdAt: m.created_at.toISOString() });
