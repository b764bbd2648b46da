export interface ProgramRow {
  id: string;
  name: string;
  kind: 'allowance' | 'discount';
  merchant_categories: string[];
  min_age: number | null;
  max_age: number | null;
  tags: string[];
  amount: string;
  valid_days: number | null;
  min_spend: string | null;
  daily_limit: number | null;
  created_at: Date;
}

export function programView(p: ProgramRow) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    merchantCategories: p.merchant_categories,
    eligibility: { ...(p.min_age !== null ? { minAge: p.min_age } : {}), ...(p.max_age !== null ? { maxAge: p.max_age } : {}), tags: p.tags },
    amount: p.amount,
    ...(p.valid_days !== null ? { validDays: p.valid_days } : {}),
    ...(p.min_spend !== null ? { minSpend: p.min_spend } : {}),
    ...(p.daily_limit !== null ? { dailyLimit: p.daily_limit } : {}),
    createdAt: p.created_at.toISOString(),
  };
}

export type ProgramView = ReturnType<typeof programView>;
