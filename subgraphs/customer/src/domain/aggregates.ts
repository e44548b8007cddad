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
 * Groups of fewer than 10 customers are dropped and only counted (so are groups dropped to keep a coarser report
 * from giving a small one away, see below); no total of all customers is reported.
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
  const shown = withheldAgainstDifferencing(counted, dimensions.map((d) => COLUMN[d].key));
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

type Cell = Record<string, string | number | null>;

/**
 * The groups that may be shown. First every group under the threshold is withheld. Then, since a coarser report
 * (any subset of the same dimensions, down to the total) shows the sum of the finer groups it is made of, each such
 * coarser group must hide either nothing or at least 10 customers: otherwise its total minus the groups shown would
 * give away a withheld group's size. Where it hides 1 to 9, its smallest shown group is withheld too, until no
 * coarser group does (complementary suppression).
 */
function withheldAgainstDifferencing(cells: Cell[], keys: string[]): Cell[] {
  const size = (c: Cell) => Number(c.customerCount);
  const withheld = new Set(cells.filter((c) => size(c) < MINIMUM_GROUP_SIZE));
  const subsets = Array.from({ length: 2 ** keys.length - 1 }, (_, mask) => keys.filter((_, i) => mask & (1 << i)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const subset of subsets) {
      const parents = new Map<string, Cell[]>();
      for (const cell of cells) {
        const parent = JSON.stringify(subset.map((k) => cell[k] ?? null));
        parents.set(parent, [...(parents.get(parent) ?? []), cell]);
      }
      for (const children of parents.values()) {
        const hidden = children.filter((c) => withheld.has(c)).reduce((sum, c) => sum + size(c), 0);
        if (hidden === 0 || hidden >= MINIMUM_GROUP_SIZE) continue;
        const smallest = children.filter((c) => !withheld.has(c)).sort((a, b) => size(a) - size(b))[0];
        if (!smallest) continue;
        withheld.add(smallest);
        changed = true;
      }
    }
  }
  return cells.filter((c) => !withheld.has(c));
}

const groupKey = (g: AggregateGroup) => [g.segment, g.type, g.country, g.rating, g.loyaltyTier].map((v) => v ?? '').join('|');
