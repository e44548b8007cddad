import { BadUserInputError, Privilege, requirePrivilege, resultRows, type Caller, type Executor } from '@cmp/platform';
import { sql, type SQL } from 'drizzle-orm';
import { customers, knownTiers, type CustomerRow } from '../db/schema.ts';

/** k-anonymity threshold for anything shared with partners: smaller groups are never shown. */
export const MINIMUM_GROUP_SIZE = 10;

export const AGGREGATE_DIMENSIONS = ['SEGMENT', 'TYPE', 'COUNTRY', 'RATING', 'LOYALTY_TIER'] as const;
export type AggregateDimension = (typeof AGGREGATE_DIMENSIONS)[number];

/**
 * Each dimension is a coarse attribute of the customer record, never a personal field. Age bands are not offered:
 * the date of birth is a sensitive field (encrypted at rest), and banding it would mean decrypting every
 * customer's in bulk for a statistic.
 */
const COLUMN: Record<AggregateDimension, { key: string; expression: SQL }> = {
  SEGMENT: { key: 'segment', expression: sql`${customers.segment}` },
  TYPE: { key: 'type', expression: sql`${customers.type}` },
  COUNTRY: { key: 'country', expression: sql`upper(${customers.billingCountry})` },
  RATING: { key: 'rating', expression: sql`${customers.rating}` },
  LOYALTY_TIER: { key: 'loyaltyTier', expression: sql`${knownTiers.tier}` },
};

export interface AggregateGroup {
  segment: CustomerRow['segment'] | null;
  type: CustomerRow['type'] | null;
  country: string | null;
  rating: CustomerRow['rating'] | null;
  loyaltyTier: string | null;
  customerCount: number;
  averageLifetimeValue: { amountMinor: number; currency: string };
}

export interface SegmentAggregateReport {
  groupBy: AggregateDimension[];
  minimumGroupSize: number;
  groups: AggregateGroup[];
  suppressedGroups: number;
  generatedAt: Date;
}

/**
 * Active customers counted per combination of `groupBy`, with their mean lifetime value rounded to whole euros.
 * Groups of fewer than 10 customers are dropped and only counted; the total of all customers is not reported
 * either, so a suppressed group's size cannot be had by subtraction within one report.
 */
export async function segmentAggregates(db: Executor, caller: Caller, groupBy: readonly AggregateDimension[], now = new Date()): Promise<SegmentAggregateReport> {
  requirePrivilege(caller, Privilege.AggregateRead);
  if (new Set(groupBy).size !== groupBy.length) throw new BadUserInputError('groupBy', 'must not repeat a dimension');
  const dimensions = AGGREGATE_DIMENSIONS.filter((d) => groupBy.includes(d));
  const selected = dimensions.map((d) => sql`${COLUMN[d].expression} as ${sql.identifier(COLUMN[d].key)}`);
  const grouping = dimensions.length ? sql` group by ${sql.join(dimensions.map((d) => COLUMN[d].expression), sql`, `)}` : sql``;
  const tierJoin = dimensions.includes('LOYALTY_TIER') ? sql` left join ${knownTiers} on ${knownTiers.customerId} = ${customers.id}` : sql``;
  const rows = resultRows<Record<string, string | number | null>>(
    await db.execute(sql`
      select ${sql.join([...selected, sql`count(*)::int as "customerCount"`, sql`coalesce(avg(${customers.lifetimeValueMinor}), 0)::float8 as "averageMinor"`], sql`, `)}
      from ${customers}${tierJoin}
      where ${customers.status} = 'ACTIVE' and ${customers.deactivatedAt} is null${grouping}`),
  );
  const counted = rows.filter((r) => Number(r.customerCount) > 0);
  const shown = counted.filter((r) => Number(r.customerCount) >= MINIMUM_GROUP_SIZE);
  const groups = shown
    .map((r) => ({
      segment: (r.segment as AggregateGroup['segment'] | undefined) ?? null,
      type: (r.type as AggregateGroup['type'] | undefined) ?? null,
      country: (r.country as string | undefined) ?? null,
      rating: (r.rating as AggregateGroup['rating'] | undefined) ?? null,
      loyaltyTier: (r.loyaltyTier as string | undefined) ?? null,
      customerCount: Number(r.customerCount),
      averageLifetimeValue: { amountMinor: Math.round(Number(r.averageMinor) / 100) * 100, currency: 'EUR' },
    }))
    .sort((a, b) => b.customerCount - a.customerCount || groupKey(a).localeCompare(groupKey(b)));
  return { groupBy: [...groupBy], minimumGroupSize: MINIMUM_GROUP_SIZE, groups, suppressedGroups: counted.length - shown.length, generatedAt: now };
}

const groupKey = (g: AggregateGroup) => [g.segment, g.type, g.country, g.rating, g.loyaltyTier].map((v) => v ?? '').join('|');
