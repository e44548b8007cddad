/**
 * searchCustomers over the generated customers (`pnpm bench:customers:generate` first): latency and throughput
 * through the gateway and straight to the customer subgraph, for a mix of the searches an agent makes and for
 * each kind alone.
 *
 *   pnpm bench:search                                  # 10 connections, 15 s per scenario
 *   BENCH_CONNECTIONS=50 pnpm bench:search
 *   pnpm bench:search --explain                        # no load: EXPLAIN ANALYZE of one query of each kind
 *
 * The queries are drawn from the data itself (a random sample of live customers): family-name fragments with and
 * without accents, given name and family name, e-mail prefixes, whole and partial customer numbers, company
 * words, and filter-only lists with their sorts. Every request asks for one page of 20 with the exact total.
 */
import { countQuery, nameBeginsWith, pageQuery } from '../subgraphs/customer/src/db/search.repo.ts';
import { SEARCH_COUNT_BOUND, searchCriteria, sortedFor, type SearchArgs } from '../subgraphs/customer/src/domain/search.ts';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { connections, databaseUrl, drive, footer, startBenchPlatform, urlOf } from './support.ts';

const explain = process.argv.includes('--explain');
const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });

interface Sampled {
  first_name: string | null;
  last_name: string | null;
  company_name: string | null;
  primary_email: string;
  customer_number: string;
}
const sample = await sql<Sampled[]>`
  select first_name, last_name, company_name, primary_email, customer_number
  from customer.customers tablesample bernoulli (0.1) repeatable (42)
  where deactivated_at is null and created_by = 'bench:generate'
  limit 400`;
if (sample.length < 100) throw new Error('too few generated customers: run `pnpm bench:customers:generate` first');

const people = sample.filter((s) => s.last_name);
const companies = sample.filter((s) => s.company_name);
const stripAccents = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '');
let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;

const kinds: Record<string, () => SearchArgs> = {
  'family-name fragment': () => {
    const surname = pick(people).last_name!.split(' ')[0]!.toLowerCase();
    const fragment = surname.slice(0, Math.max(4, Math.min(surname.length, 4 + Math.floor(random() * 3))));
    return { query: random() < 0.5 ? stripAccents(fragment) : fragment };
  },
  'given + family name': () => {
    const p = pick(people);
    return { query: `${p.first_name} ${p.last_name!.split(' ')[0]}` };
  },
  'e-mail prefix': () => {
    const email = pick(sample).primary_email;
    const local = email.split('@')[0]!;
    return { query: email.slice(0, Math.max(6, local.length - Math.floor(random() * 3))) };
  },
  'customer number': () => {
    const number = pick(sample).customer_number;
    return { query: random() < 0.5 ? number : number.slice(0, -1).toLowerCase() };
  },
  'company words': () => ({ query: pick(companies).company_name!.split(' ').slice(0, 2).join(' '), type: ['SMALL_BUSINESS', 'ENTERPRISE', 'NON_PROFIT', 'GOVERNMENT'] }),
  'filters + sort': () =>
    pick<SearchArgs>([
      { segment: ['VIP'], sort: [{ field: 'LIFETIME_VALUE', direction: 'DESC' }] },
      { status: ['SUSPENDED'], sort: [{ field: 'CREATED_AT', direction: 'DESC' }] },
      { type: ['GOVERNMENT', 'NON_PROFIT'], sort: [{ field: 'NAME', direction: 'ASC' }] },
      { segment: ['PREMIUM', 'VIP'], status: ['INACTIVE'], sort: [{ field: 'SEGMENT', direction: 'DESC' }, { field: 'NAME', direction: 'ASC' }] },
      { query: 'garc', status: ['ACTIVE'], segment: ['VIP'], sort: [{ field: 'LIFETIME_VALUE', direction: 'DESC' }] },
    ]),
};
const mix = () => pick(Object.values(kinds))();

if (explain) {
  const dialect = new PgDialect();
  const examples: [string, SearchArgs][] = [
    ...Object.entries(kinds).map(([kind, args]) => [kind, args()] as [string, SearchArgs]),
    ['common fragment', { query: 'fern' }],
    ['very common fragment', { query: 'garc' }],
    ['very common fragment among active VIPs', { query: 'garc', status: ['ACTIVE'], segment: ['VIP'] }],
    ['no query, default sort', {}],
    ['no query, ACTIVE by customer number', { status: ['ACTIVE'], sort: [{ field: 'CUSTOMER_NUMBER', direction: 'ASC' }] }],
  ];
  for (const [kind, args] of examples) {
    const criteria = searchCriteria(args);
    console.log(`\n### ${kind}: ${JSON.stringify(args)}`);
    const run = async (statement: SQL) => {
      const { sql: text, params } = dialect.sqlToQuery(statement);
      const rows = await sql.unsafe(text, params as never[]); // also warms the cache: the figures are for a warm database
      const plan = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${text}`, params as never[]);
      console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
      return rows;
    };
    const [counted] = await run(countQuery(criteria, SEARCH_COUNT_BOUND));
    const sorted = sortedFor(criteria, Number(counted!.n));
    // A broad query's page comes from the names beginning with its words first (the other part only past them).
    const [prefix] = sorted.namePrefixes;
    await run(prefix === undefined ? pageQuery(sorted) : pageQuery(sorted, { where: nameBeginsWith(prefix), offset: 0, limit: sorted.pageSize }));
  }
  await sql.end();
  process.exit(0);
}

const platform = await startBenchPlatform();
const token = await platform.token(['SupportAgent']);
const headers = { authorization: `Bearer ${token}` };
const query = `query Search($query: String, $type: [CustomerType!], $segment: [CustomerSegment!], $status: [CustomerStatus!], $sort: [CustomerSort!]) {
  searchCustomers(query: $query, type: $type, segment: $segment, status: $status, sort: $sort, pageSize: 20) {
    totalCount totalPages items { id customerNumber displayName primaryEmail segment status }
  }
}`;
const body = (args: () => SearchArgs) => () => JSON.stringify({ query, variables: args() });

// Every kind must answer without errors and with a full page where there are matches, before any timing.
for (const [kind, args] of Object.entries(kinds)) {
  const variables = args();
  const data = await platform.graphql(token, query, variables as Record<string, unknown>);
  const result = data.searchCustomers as { totalCount: number; items: unknown[] };
  console.log(`${kind}: ${JSON.stringify(variables)} -> ${result.totalCount} matches, ${result.items.length} on the page`);
}

const cpu: Record<string, number> = 'gateway' in platform.pids ? { gateway: platform.pids.gateway!, customer: platform.pids.customer! } : { platform: platform.pids.platform! };
const rows = [
  await drive('search mix, gateway', { url: urlOf('gateway'), headers, body: body(mix) }, { cpu }),
  await drive('search mix, customer subgraph direct', { url: urlOf('customer'), headers, body: body(mix) }, { cpu }),
];
for (const [kind, args] of Object.entries(kinds)) {
  rows.push(await drive(`${kind}, gateway`, { url: urlOf('gateway'), headers, body: body(args) }, { warmUp: false }));
}
console.table(rows);
console.log(footer());
console.log(`connections ${connections}`);
await sql.end();
platform.stop();
process.exit(0);
