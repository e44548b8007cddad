import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../src/db/schema.ts';
import { SEARCH_COUNT_BOUND } from '../src/domain/search.ts';
import { customerSubgraph } from '../src/index.ts';

const SEARCH = /* GraphQL */ `
  query($query: String, $page: Int, $sort: [CustomerSort!]) {
    searchCustomers(query: $query, page: $page, pageSize: 20, sort: $sort) {
      totalCount totalCountExact totalPages items { lastName primaryEmail }
    }
  }
`;

let h: SubgraphHarness;
const agent = callerWith('SupportAgent');
const MATCHES = SEARCH_COUNT_BOUND + 25;
const OTHER_MATCHES = 3;

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
  // More Boundtest customers than the bound, with one whose e-mail is an exact hit, plus others that do not match.
  const rows = Array.from({ length: MATCHES }, (_, i) => ({
    customerNumber: `CUS-${String(500_000 + i).padStart(6, '0')}`,
    type: 'INDIVIDUAL' as const,
    firstName: `Given${String(i).padStart(4, '0')}`,
    lastName: 'Boundtest',
    primaryEmail: `boundtest.${i}@example.com`,
    createdBy: 'test',
  }));
  rows.push({ customerNumber: 'CUS-600000', type: 'INDIVIDUAL', firstName: 'Other', lastName: 'Person', primaryEmail: 'other@example.com', createdBy: 'test' });
  // Matches by e-mail whose names sort before and after Boundtest (Álvarez with the A's, accent folded).
  for (const [i, [firstName, lastName]] of [['Zed', 'Aaron'], ['Ana', 'Álvarez'], ['Zoe', 'Zapata']].entries()) {
    rows.push({ customerNumber: `CUS-60000${i + 1}`, type: 'INDIVIDUAL', firstName: firstName!, lastName: lastName!, primaryEmail: `${firstName!.toLowerCase()}.boundtest@example.com`, createdBy: 'test' });
  }
  for (let i = 0; i < rows.length; i += 500) await h.handle.db.insert(customers).values(rows.slice(i, i + 500));
});
afterAll(() => h?.close());

describe('broad searches', () => {
  it('count exactly up to the bound and say "at least" beyond it, still serving any page', async () => {
    const first = await h.run(agent, SEARCH, { query: 'boundtest' });
    expect(first.errors).toBeUndefined();
    expect(first.data.searchCustomers).toMatchObject({ totalCount: SEARCH_COUNT_BOUND, totalCountExact: false, totalPages: SEARCH_COUNT_BOUND / 20 });
    const all = MATCHES + OTHER_MATCHES;
    const last = await h.run(agent, SEARCH, { query: 'boundtest', page: Math.ceil(all / 20) });
    expect(last.data.searchCustomers.items).toHaveLength(all % 20 || 20);
  });

  it('beyond the bound, put the names beginning with the query first, then the other matches, each part by name', async () => {
    const pages = await Promise.all(
      Array.from({ length: Math.ceil((MATCHES + OTHER_MATCHES) / 20) }, (_, i) => h.run(agent, SEARCH, { query: 'Boundtest', page: i + 1 })),
    );
    const items = pages.flatMap((p) => p.data.searchCustomers.items as { lastName: string; primaryEmail: string }[]);
    // Every match once, the Boundtests in given-name order, then the e-mail matches by name (Álvarez with the A's).
    expect(new Set(items.map((i) => i.primaryEmail)).size).toBe(MATCHES + OTHER_MATCHES);
    expect(items.slice(0, MATCHES).every((i) => i.lastName === 'Boundtest')).toBe(true);
    expect(items.slice(0, 2).map((i) => i.primaryEmail)).toEqual(['boundtest.0@example.com', 'boundtest.1@example.com']);
    expect(items.slice(MATCHES).map((i) => i.lastName)).toEqual(['Aaron', 'Álvarez', 'Zapata']);
    // A chosen sort is kept as asked: by name, the e-mail matches sorting before Boundtest come first.
    const byName = await h.run(agent, SEARCH, { query: 'boundtest', sort: [{ field: 'NAME' }] });
    expect(byName.data.searchCustomers.items.slice(0, 3).map((i: any) => i.lastName)).toEqual(['Aaron', 'Álvarez', 'Boundtest']);
  });

  it('count exactly and rank by relevance when the matches are within the bound', async () => {
    const narrow = await h.run(agent, SEARCH, { query: 'boundtest.100' });
    expect(narrow.data.searchCustomers).toMatchObject({ totalCount: 11, totalCountExact: true, totalPages: 1 });
    const exact = await h.run(agent, SEARCH, { query: 'boundtest.1002@example.com' });
    expect(exact.data.searchCustomers).toMatchObject({ totalCount: 1, totalCountExact: true, items: [{ primaryEmail: 'boundtest.1002@example.com' }] });
  });
});
