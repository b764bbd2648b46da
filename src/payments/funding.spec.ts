import Decimal from 'decimal.js';
import { planFunding, planRefund, type FundingLine } from './funding';

const d = (v: string) => new Decimal(v);
const amounts = (lines: FundingLine[] | null) => lines?.map((l) => `${l.accountId}:${l.amount.toFixed(2)}`);

describe('planFunding', () => {
  const sources = [
    { wallet: 'discount' as const, accountId: 'program:p1', programId: 'p1', available: d('2.00') },
    { wallet: 'subsidy' as const, accountId: 'subsidy:a', programId: 'a', available: d('5.00') },
    { wallet: 'cash' as const, accountId: 'cash:r', available: d('100.00') },
  ];

  test('draws in order: discount, subsidy, then cash', () => {
    expect(amounts(planFunding(d('15.00'), sources))).toEqual(['program:p1:2.00', 'subsidy:a:5.00', 'cash:r:8.00']);
  });

  test('stops as soon as the amount is covered', () => {
    expect(amounts(planFunding(d('1.50'), sources))).toEqual(['program:p1:1.50']);
  });

  test('an amount the sources cannot cover is not partly paid', () => {
    expect(planFunding(d('107.01'), sources)).toBeNull();
    expect(amounts(planFunding(d('107.00'), sources))).toEqual(['program:p1:2.00', 'subsidy:a:5.00', 'cash:r:100.00']);
  });

  test('empty sources are skipped', () => {
    expect(amounts(planFunding(d('3.00'), [{ wallet: 'subsidy', accountId: 's', available: d('0') }, { wallet: 'cash', accountId: 'c', available: d('3') }]))).toEqual(['c:3.00']);
  });
});

describe('planRefund', () => {
  const paid: FundingLine[] = [
    { wallet: 'subsidy', accountId: 'subsidy:a', programId: 'a', amount: d('5.00') },
    { wallet: 'cash', accountId: 'cash:r', amount: d('8.00') },
  ];

  test('cash goes back first, then the subsidy', () => {
    expect(amounts(planRefund(d('10.00'), paid, []))).toEqual(['cash:r:8.00', 'subsidy:a:2.00']);
  });

  test('earlier refunds are taken into account per line', () => {
    const earlier = [{ wallet: 'cash' as const, accountId: 'cash:r', amount: d('6.00') }];
    expect(amounts(planRefund(d('4.00'), paid, earlier))).toEqual(['cash:r:2.00', 'subsidy:a:2.00']);
  });

  test('never more than was paid', () => {
    expect(planRefund(d('13.01'), paid, [])).toBeNull();
    expect(amounts(planRefund(d('13.00'), paid, []))).toEqual(['cash:r:8.00', 'subsidy:a:5.00']);
  });
});
