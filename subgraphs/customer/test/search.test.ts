import type { Caller } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { customers, type NewCustomerRow } from '../src/db/schema.ts';
import { customerSubgraph } from '../src/index.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id customerNumber } }
`;
const SEARCH = /* GraphQL */ `
  query Search($query: String, $type: [CustomerType!], $segment: [CustomerSegment!], $status: [CustomerStatus!],
               $page: Int, $pageSize: Int, $sort: [CustomerSort!]) {
    searchCustomers(query: $query, type: $type, segment: $segment, status: $status, page: $page, pageSize: $pageSize, sort: $sort) {
      items { id customerNumber displayName primaryEmail type segment status }
      totalCount page pageSize totalPages
    }
  }
`;

interface Item {
  id: string;
  customerNumber: string;
  displayName: string;
  primaryEmail: string;
  type: string;
  segment: string;
  status: string;
}
interface SearchResult {
  items: Item[];
  totalCount: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

let h: SubgraphHarness;
const agent = callerWith('SupportAgent');
const admin = callerWith('Admin');

async function search(variables: Record<string, unknown>, caller: Caller = agent): Promise<SearchResult> {
  const result = await h.run(caller, SEARCH, variables);
  expect(result.errors).toBeUndefined();
  return result.data.searchCustomers as SearchResult;
}
async function searchError(variables: Record<string, unknown>, caller: Caller = agent) {
  const result = await h.run(caller, SEARCH, variables);
  expect(result.data?.searchCustomers ?? null).toBeNull();
  return result.errors?.[0]?.extensions as Record<string, unknown>;
}
const names = (r: SearchResult) => r.items.map((i) => i.displayName);
/** Live customers in this file's database: nine created through the API (two then deactivated) and 40 inserted. */
const LIVE = 49;

const created: Record<string, { id: string; customerNumber: string }> = {};
async function create(key: string, input: Record<string, unknown>) {
  const result = await h.run(admin, CREATE, { input });
  expect(result.errors).toBeUndefined();
  created[key] = result.data.createCustomer;
}

// 40 people sharing the family name Pagetest, for sorting and paging: every sort field varies independently.
const SEGMENTS = ['STANDARD', 'PREMIUM', 'VIP', 'CORPORATE'] as const;
const STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'ARCHIVED'] as const;
const GIVEN = ['Ana', 'Bruno', 'Carla', 'Diego', 'Elena', 'Félix', 'Gloria', 'Hugo', 'Irene', 'Jaime'];
const bulk: NewCustomerRow[] = Array.from({ length: 40 }, (_, i) => ({
  customerNumber: `CUS-${String(900_000 + ((i * 7919) % 40)).padStart(6, '0')}`,
  type: i % 5 === 0 ? 'SMALL_BUSINESS' : 'INDIVIDUAL',
  ...(i % 5 === 0 ? { companyName: `Pagetest Travel ${String.fromCharCode(65 + (i % 26))}${i}` } : { firstName: `${GIVEN[i % 10]}${(i * 13) % 40}`, lastName: 'Pagetest' }),
  primaryEmail: `pagetest.${i}@example.com`,
  segment: SEGMENTS[(i * 3) % 4]!,
  status: STATUSES[(i * 5 + Math.floor(i / 4)) % 4]!,
  lifetimeValueMinor: ((i * 37) % 11) * 100_000,
  createdAt: new Date(Date.UTC(2020, 0, 1) + ((i * 17) % 40) * 86_400_000),
  createdBy: 'test',
}));
// The two customer numbers either side of a digit more: CUS-999999 sorts before CUS-1000000.
bulk[0]!.customerNumber = 'CUS-999999';
bulk[1]!.customerNumber = 'CUS-1000000';

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
  await create('lucia', { type: 'INDIVIDUAL', firstName: 'Lucía', lastName: 'Fernández', primaryEmail: 'lucia.fernandez@example.com' });
  await create('jose', { type: 'INDIVIDUAL', firstName: 'José', lastName: 'Fernandez Gil', primaryEmail: 'jgil@example.es' });
  await create('inditex', { type: 'ENTERPRISE', companyName: 'Inditex SA', primaryEmail: 'travel@inditex.example.com' });
  await create('obrien', { type: 'INDIVIDUAL', firstName: 'Sarah', lastName: "O'Brien", primaryEmail: 'sarah.obrien@example.co.uk' });
  await create('cotton', { type: 'SMALL_BUSINESS', companyName: '100% Cotton SL', primaryEmail: 'hola@cotton.example.es' });
  await create('underscore', { type: 'INDIVIDUAL', firstName: 'Ada', lastName: 'Under_score', primaryEmail: 'ada@under.example.com' });
  await create('ernanda', { type: 'INDIVIDUAL', firstName: 'Ernanda', lastName: 'Ruiz', primaryEmail: 'eruiz@example.com' });
  await create('zoe', { type: 'INDIVIDUAL', firstName: 'Zoe', lastName: 'Zamora', primaryEmail: 'ana@example.com' });
  await create('susana', { type: 'INDIVIDUAL', firstName: 'Susana', lastName: 'Abad', primaryEmail: 'susana@example.com' });
  await create('gone', { type: 'INDIVIDUAL', firstName: 'Ramón', lastName: 'Fernández', primaryEmail: 'ramon.gone@example.com' });
  await create('merged', { type: 'INDIVIDUAL', firstName: 'Lucía', lastName: 'Fernández', primaryEmail: 'lucia.dup@example.com' });
  await h.handle.db.insert(customers).values(bulk);
  // Deactivated directly, and a merged duplicate (merging deactivates the source).
  await h.handle.db.execute(sql`update ${customers} set deactivated_at = now(), deactivated_by = 'test', deactivation_reason = 'closed' where ${customers.id} = ${created.gone!.id}`);
  await h.handle.db.execute(
    sql`update ${customers} set deactivated_at = now(), deactivated_by = 'test', deactivation_reason = 'merged', merged_into_id = ${created.lucia!.id} where ${customers.id} = ${created.merged!.id}`,
  );
});
afterAll(() => h?.close());

describe('searchCustomers: matching', () => {
  it('finds partial, case-insensitive names, with or without accents', async () => {
    for (const query of ['fern', 'FERN', 'fernandez', 'Fernández', 'FERNÁNDEZ']) {
      const r = await search({ query });
      expect(names(r).sort(), query).toEqual(['José Fernandez Gil', 'Lucía Fernández']);
      expect(r.totalCount).toBe(2);
    }
    expect(names(await search({ query: 'lucia' }))).toEqual(['Lucía Fernández']);
    expect(names(await search({ query: "o'brien" }))).toEqual(["Sarah O'Brien"]);
    expect(names(await search({ query: 'inditex' }))).toEqual(['Inditex SA']);
  });

  it('folds capital accented letters as the lower-case ones, whatever the database locale', async () => {
    await create('agora', { type: 'ENTERPRISE', companyName: 'ÁGORA ÑANDÚ CAFÉ', primaryEmail: 'reservas@agora.example.es' });
    // Closed again at the end, so the counts of the other specs stay those of the fixture.
    onTestFinished(() => h.handle.db.execute(sql`update ${customers} set deactivated_at = now(), deactivated_by = 'test', deactivation_reason = 'closed' where ${customers.id} = ${created.agora!.id}`).then(() => {}));
    for (const query of ['agora nandu', 'Ágora', 'ñandú', 'CAFE', 'café ágora']) {
      expect(names(await search({ query })), query).toEqual(['ÁGORA ÑANDÚ CAFÉ']);
    }
  });

  it('finds an e-mail by its beginning and a customer number by part of it, in any case', async () => {
    expect(names(await search({ query: 'lucia.fern' }))).toEqual(['Lucía Fernández']);
    expect(names(await search({ query: 'TRAVEL@INDI' }))).toEqual(['Inditex SA']);
    const lucia = created.lucia!.customerNumber;
    expect(names(await search({ query: lucia.toLowerCase() }))).toEqual(['Lucía Fernández']);
    // A number without its last digit finds the ten numbers it begins.
    const partial = await search({ query: lucia.slice(0, -1), pageSize: 100 });
    expect(partial.items.map((i) => i.customerNumber)).toContain(lucia);
    expect(partial.items.every((i) => i.customerNumber.startsWith(lucia.slice(0, -1)))).toBe(true);
    expect(names(await search({ query: 'cus-999999' }))).toEqual([expect.stringContaining('Pagetest')]);
    // Seven digits after six: CUS-1 begins CUS-1000000 only.
    expect((await search({ query: 'CUS-1' })).items.map((i) => i.customerNumber)).toEqual(['CUS-1000000']);
    // Part of a number that is not its beginning goes through the text index.
    expect((await search({ query: 's-99999' })).items.map((i) => i.customerNumber)).toEqual(['CUS-999999']);
  });

  it('requires every word to match, in any order; short words match the start of a word', async () => {
    expect(names(await search({ query: 'lucia fernandez' }))).toEqual(['Lucía Fernández']);
    expect(names(await search({ query: 'Fernández  Lucía' }))).toEqual(['Lucía Fernández']);
    expect(names(await search({ query: 'jose fern' }))).toEqual(['José Fernandez Gil']);
    expect(names(await search({ query: 'jo fern' }))).toEqual(['José Fernandez Gil']);
    expect(names(await search({ query: 'lu fern' }))).toEqual(['Lucía Fernández']);
    // "ci" is inside Lucía but starts no word.
    expect(names(await search({ query: 'ci fern' }))).toEqual([]);
    expect((await search({ query: 'lucia gil' })).totalCount).toBe(0);
  });

  it('ranks the exact e-mail or number first, then matches at the start of a word, then the rest, then by name', async () => {
    // "ernand" starts Ernanda but sits inside Fernández: Ernanda first although the others sort before her by name.
    expect(names(await search({ query: 'ernand' }))).toEqual(['Ernanda Ruiz', 'José Fernandez Gil', 'Lucía Fernández']);
    // Zoe's e-mail is exactly the query; Susana's merely contains it and her name sorts first.
    expect(names(await search({ query: 'ana@example.com' }))).toEqual(['Zoe Zamora', 'Susana Abad']);
    expect(names(await search({ query: 'ana@example.com', sort: [{ field: 'RELEVANCE', direction: 'DESC' }] }))).toEqual(['Susana Abad', 'Zoe Zamora']);
    expect(names(await search({ query: 'ana@example.com', sort: [{ field: 'NAME' }] }))).toEqual(['Susana Abad', 'Zoe Zamora']);
    const exactNumber = await search({ query: 'CUS-999999' });
    expect(exactNumber.items.map((i) => i.customerNumber)).toEqual(['CUS-999999']);
  });

  it('never returns deactivated or merged customers', async () => {
    const r = await search({ query: 'fernández', pageSize: 100 });
    const ids = r.items.map((i) => i.id);
    expect(ids).not.toContain(created.gone!.id);
    expect(ids).not.toContain(created.merged!.id);
    expect((await search({ query: 'ramon.gone' })).totalCount).toBe(0);
    expect((await search({ query: 'lucia.dup' })).totalCount).toBe(0);
    const everyone = await search({ pageSize: 100 });
    expect(everyone.totalCount).toBe(LIVE);
    expect(everyone.items.map((i) => i.id)).not.toContain(created.gone!.id);
  });

  it('treats LIKE wildcards, regular expression syntax and SQL as plain text', async () => {
    expect(names(await search({ query: '100%' }))).toEqual(['100% Cotton SL']);
    expect(names(await search({ query: '00%' }))).toEqual(['100% Cotton SL']);
    expect(names(await search({ query: 'under_score' }))).toEqual(['Ada Under_score']);
    expect((await search({ query: 'under%score' })).totalCount).toBe(0);
    // Unescaped, "d_r" would match the "der" of Under_score.
    expect((await search({ query: 'd_r' })).totalCount).toBe(0);
    for (const query of ['%%%', '___', '\\\\\\', '.*.*', '(a+)+$', '[a-', "'; drop table customer.customers; --", "' or '1'='1", 'x\') or 1=1 --', '$1$2$3']) {
      const r = await search({ query });
      expect(r.totalCount, query).toBe(0);
    }
    // Still answering, every customer still there.
    expect((await search({})).totalCount).toBe(LIVE);
  });
});

describe('searchCustomers: filters', () => {
  const pagetest = (s: (typeof bulk)[number]) => !s.companyName || s.companyName.startsWith('Pagetest');
  const count = (p: (s: (typeof bulk)[number]) => boolean) => bulk.filter((s) => pagetest(s) && p(s)).length;

  it('ORs the values of one filter and ANDs different filters', async () => {
    const vip = await search({ query: 'pagetest', segment: ['VIP'], pageSize: 100 });
    expect(vip.totalCount).toBe(count((s) => s.segment === 'VIP'));
    expect(vip.items.every((i) => i.segment === 'VIP')).toBe(true);

    const either = await search({ query: 'pagetest', segment: ['VIP', 'PREMIUM'], pageSize: 100 });
    expect(either.totalCount).toBe(count((s) => s.segment === 'VIP' || s.segment === 'PREMIUM'));

    const both = await search({ query: 'pagetest', segment: ['VIP', 'PREMIUM'], status: ['ACTIVE'], type: ['INDIVIDUAL'], pageSize: 100 });
    const expected = count((s) => (s.segment === 'VIP' || s.segment === 'PREMIUM') && s.status === 'ACTIVE' && s.type === 'INDIVIDUAL');
    expect(expected).toBeGreaterThan(0);
    expect(both.totalCount).toBe(expected);
    expect(both.items.every((i) => ['VIP', 'PREMIUM'].includes(i.segment) && i.status === 'ACTIVE' && i.type === 'INDIVIDUAL')).toBe(true);
  });

  it('filters without a query, and an empty list is no filter', async () => {
    const enterprises = await search({ type: ['ENTERPRISE'] });
    expect(names(enterprises)).toEqual(['Inditex SA']);
    const suspended = await search({ status: ['SUSPENDED'], pageSize: 100 });
    expect(suspended.totalCount).toBe(count((s) => s.status === 'SUSPENDED'));
    expect((await search({ type: [], pageSize: 1 })).totalCount).toBe(LIVE);
  });
});

describe('searchCustomers: sorting', () => {
  const individuals = bulk.filter((s) => s.type === 'INDIVIDUAL');
  const sortName = (s: NewCustomerRow) => (s.companyName ?? `${s.lastName} ${s.firstName}`).toLowerCase();
  const numberKey = (s: NewCustomerRow) => s.customerNumber.length * 1e9 + Number(s.customerNumber.slice(4));
  const keyOf: Record<string, (s: NewCustomerRow) => string | number> = {
    NAME: sortName,
    CUSTOMER_NUMBER: numberKey,
    CREATED_AT: (s) => s.createdAt!.getTime(),
    LIFETIME_VALUE: (s) => s.lifetimeValueMinor!,
    SEGMENT: (s) => SEGMENTS.indexOf(s.segment as never),
    STATUS: (s) => STATUSES.indexOf(s.status as never),
  };
  async function idsOf(list: NewCustomerRow[]) {
    const rows = await h.handle.db.select({ id: customers.id, email: customers.primaryEmail }).from(customers);
    const byEmail = new Map(rows.map((r) => [r.email, r.id]));
    return list.map((s) => ({ ...s, id: byEmail.get(s.primaryEmail)! }));
  }
  function expectedOrder(list: (NewCustomerRow & { id: string })[], sort: { field: string; direction: 'ASC' | 'DESC' }[]) {
    const last = sort.at(-1)!.direction === 'DESC' ? -1 : 1;
    return [...list]
      .sort((a, b) => {
        for (const { field, direction } of sort) {
          const x = keyOf[field]!(a);
          const y = keyOf[field]!(b);
          if (x !== y) return (x < y ? -1 : 1) * (direction === 'DESC' ? -1 : 1);
        }
        return (a.id < b.id ? -1 : 1) * last;
      })
      .map((s) => s.id);
  }

  for (const field of Object.keys(keyOf)) {
    for (const direction of ['ASC', 'DESC'] as const) {
      it(`sorts by ${field} ${direction}, then id`, async () => {
        const list = await idsOf(individuals);
        const r = await search({ query: 'pagetest', type: ['INDIVIDUAL'], sort: [{ field, direction }], pageSize: 100 });
        expect(r.items.map((i) => i.id)).toEqual(expectedOrder(list, [{ field, direction }]));
      });
    }
  }

  it('sorts by several fields in the order given', async () => {
    const list = await idsOf(individuals);
    const sort = [
      { field: 'SEGMENT', direction: 'DESC' as const },
      { field: 'STATUS', direction: 'ASC' as const },
      { field: 'LIFETIME_VALUE', direction: 'DESC' as const },
    ];
    const r = await search({ query: 'pagetest', type: ['INDIVIDUAL'], sort, pageSize: 100 });
    expect(r.items.map((i) => i.id)).toEqual(expectedOrder(list, sort));
    const numbers = await search({ query: 'pagetest', sort: [{ field: 'CUSTOMER_NUMBER', direction: 'DESC' }], pageSize: 2 });
    expect(numbers.items.map((i) => i.customerNumber)).toEqual(['CUS-1000000', 'CUS-999999']);
  });

  it('sorts by name when there is no query, and direction defaults to ASC', async () => {
    const r = await search({ pageSize: 100 });
    const sortNames = r.items.map((i) => i.displayName);
    expect(sortNames[0]).toBe('100% Cotton SL');
    const explicit = await search({ pageSize: 100, sort: [{ field: 'NAME' }] });
    expect(explicit.items.map((i) => i.id)).toEqual(r.items.map((i) => i.id));
  });
});

describe('searchCustomers: pages', () => {
  it('pages through every match exactly once with an exact total, even when the sort has ties', async () => {
    for (const sort of [undefined, [{ field: 'SEGMENT' }], [{ field: 'STATUS', direction: 'DESC' }, { field: 'SEGMENT' }]]) {
      const seen: string[] = [];
      for (let page = 1; page <= 6; page++) {
        const r = await search({ query: 'pagetest', pageSize: 7, page, sort });
        expect(r).toMatchObject({ totalCount: 40, totalPages: 6, page, pageSize: 7 });
        expect(r.items).toHaveLength(page < 6 ? 7 : 5);
        seen.push(...r.items.map((i) => i.id));
      }
      expect(new Set(seen).size).toBe(40);
      const again = await search({ query: 'pagetest', pageSize: 40, sort });
      expect(again.items.map((i) => i.id)).toEqual(seen);
    }
    const beyond = await search({ query: 'pagetest', pageSize: 7, page: 7 });
    expect(beyond).toMatchObject({ items: [], totalCount: 40, totalPages: 6, page: 7 });
    const none = await search({ query: 'nobody-at-all' });
    expect(none).toMatchObject({ items: [], totalCount: 0, totalPages: 0, page: 1, pageSize: 20 });
  });

  it('defaults to page 1 of 20', async () => {
    const r = await search({ query: 'pagetest' });
    expect(r).toMatchObject({ page: 1, pageSize: 20, totalCount: 40, totalPages: 2 });
    expect(r.items).toHaveLength(20);
  });
});

describe('searchCustomers: input and access', () => {
  it.each([
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 101 }, 'pageSize'],
    [{ pageSize: -5 }, 'pageSize'],
    [{ page: 0 }, 'page'],
    [{ page: -1 }, 'page'],
    [{ query: 'x'.repeat(101) }, 'query'],
    [{ query: 'li' }, 'query'],
    [{ query: 'a b c' }, 'query'],
    [{ query: 'one two three four five six seven eight nine ten eleven' }, 'query'],
    [{ sort: [{ field: 'NAME' }, { field: 'NAME', direction: 'DESC' }] }, 'sort[1].field'],
  ])('rejects %j naming %s', async (variables, field) => {
    expect(await searchError(variables)).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('accepts the limits and treats a blank query as no query', async () => {
    expect((await search({ pageSize: 100, page: 1 })).pageSize).toBe(100);
    expect((await search({ pageSize: 1 })).items).toHaveLength(1);
    expect((await search({ query: `  ${'x'.repeat(100)}  ` })).totalCount).toBe(0);
    expect((await search({ query: '   ' })).totalCount).toBe(LIVE);
  });

  it('refuses a customer token, and roles without customer:read', async () => {
    const self = callerWith('Customer', { customerId: created.lucia!.id });
    expect(await searchError({ query: 'lucia' }, self)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await searchError({}, callerWith('LoungeDevice', { loungeCode: 'MAD-DALI' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await searchError({}, callerWith('DataAnalyst'))).toMatchObject({ code: 'FORBIDDEN' });
    expect((await search({ query: 'lucia' }, callerWith('Viewer'))).totalCount).toBe(1);
  });

  it('returns customers whose other fields resolve', async () => {
    const result = await h.run(agent, '{ searchCustomers(query: "inditex") { items { id customerNumber displayName segment type } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data.searchCustomers.items).toEqual([
      { id: created.inditex!.id, customerNumber: created.inditex!.customerNumber, displayName: 'Inditex SA', segment: 'CORPORATE', type: 'ENTERPRISE' },
    ]);
  });
});
