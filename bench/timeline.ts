/**
 * The first page of a long customer timeline through the gateway: a customer with 10,000 timeline entries among
 * 100,000 entries of 5,000 other customers, and the agent console's query
 * `customer(id) { timeline(first: 20) { edges { node { id occurredAt type summary } } } }`.
 *
 *   pnpm bench:timeline                                  # 10 connections, 15 s per scenario
 *   BENCH_CONNECTIONS=50 BENCH_SECONDS=20 pnpm bench:timeline
 *
 * Starts the platform in server mode against the bench database (postgres://postgres@127.0.0.1:5432/cmp_bench by
 * default), creates the customer through the gateway and writes its entries set-based straight into
 * interaction.timeline_entries (the background customers once per database), checks the first page against the
 * table, prints EXPLAIN ANALYZE of the page queries, then drives each scenario with autocannon.
 */
import os from 'node:os';
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { timelinePagesSql } from '../subgraphs/interaction/src/db/timeline.repo.ts';
import { connections, databaseUrl, drive, footer, startBenchPlatform, urlOf } from './support.ts';

const ENTRIES = 10_000;
const BACKGROUND_CUSTOMERS = 5_000;
const BACKGROUND_PER_CUSTOMER = 20;
const SEED_ACTOR = 'bench:timeline';

const platform = await startBenchPlatform();
const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
const admin = await platform.token(['Admin']);
const { createCustomer } = await platform.graphql(admin, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
  i: { type: 'INDIVIDUAL', firstName: 'Timeline', lastName: 'Bench', primaryEmail: `timeline.${Date.now()}@example.com` },
});
const customerId = createCustomer.id as string;

// Four entries share each minute on purpose (the order within a minute rests on the id); types rotate.
await sql`
  insert into interaction.timeline_entries (customer_id, occurred_at, type, summary, source_type, source_id, actor)
  select ${customerId}::uuid,
         now() - interval '30 days' + ((g / 4) * interval '1 minute'),
         (array['COMMUNICATION','CASE','INVITATION','LOUNGE_VISIT','LOYALTY','PURCHASE','PROFILE','FOLLOW_UP'])[1 + g % 8],
         'Bench entry ' || g || ': a summary of about the length an agent reads on the timeline',
         'Interaction', gen_random_uuid()::text, ${SEED_ACTOR}
  from generate_series(0, ${ENTRIES - 1}) as g`;
const [{ background }] = await sql<[{ background: number }]>`
  select count(*)::int as background from interaction.timeline_entries where actor = ${SEED_ACTOR} and summary like 'Background%'`;
if (background < BACKGROUND_CUSTOMERS * BACKGROUND_PER_CUSTOMER) {
  await sql`
    insert into interaction.timeline_entries (customer_id, occurred_at, type, summary, source_type, source_id, actor)
    select c.id, now() - (random() * interval '365 days'), 'COMMUNICATION', 'Background entry ' || g, 'Interaction', gen_random_uuid()::text, ${SEED_ACTOR}
    from (select gen_random_uuid() as id from generate_series(1, ${BACKGROUND_CUSTOMERS})) as c, generate_series(1, ${BACKGROUND_PER_CUSTOMER}) as g`;
}
await sql`analyze interaction.timeline_entries`;
const [{ total }] = await sql<[{ total: number }]>`select count(*)::int as total from interaction.timeline_entries`;

const token = await platform.token(['SupportAgent']);
const headers = { authorization: `Bearer ${token}` };
const query = 'query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { id occurredAt type summary } } } } }';
const firstPage = JSON.stringify({ query, variables: { id: customerId } });

// The page the gateway serves must be the newest 20 of the table, before any timing.
const served = (await platform.graphql(token, query, { id: customerId })).customer.timeline.edges.map((e: { node: { id: string } }) => e.node.id);
const newest = await sql<{ id: string }[]>`
  select id from interaction.timeline_entries where customer_id = ${customerId} order by occurred_at desc, id desc limit 20`;
if (JSON.stringify(served) !== JSON.stringify(newest.map((r) => r.id))) throw new Error('the first page through the gateway is not the newest 20 entries');

// The statements the interaction subgraph runs: the first page, and a page deep into the 10,000.
const dialect = new PgDialect();
const [middle] = await sql<{ occurred_at: Date; id: string }[]>`
  select occurred_at, id from interaction.timeline_entries where customer_id = ${customerId} order by occurred_at desc, id desc offset 5000 limit 1`;
const pages = [
  ['first page of 20', { limit: 20, after: null, types: null }],
  ['20 after the 5,000th entry', { limit: 20, after: { occurredAt: middle!.occurred_at, id: middle!.id }, types: null }],
  ['first 20 of types [CASE, LOYALTY]', { limit: 20, after: null, types: ['CASE', 'LOYALTY'] }],
] as const;
for (const [name, page] of pages) {
  const { sql: text, params } = dialect.sqlToQuery(timelinePagesSql([customerId], { ...page, types: page.types ? [...page.types] : null }));
  const plan = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${text}`, params as never[]);
  console.log(`\n### ${name}\n${plan.map((r) => r['QUERY PLAN']).join('\n')}`);
}
await sql.end();

// The machine is shared: the load average before and after says how much of it the run had.
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`\ncustomer ${customerId}: ${ENTRIES} entries; ${total} timeline entries in the table; ${connections} connections; load average ${load()}\n`);
const gateway = { url: urlOf('gateway'), headers, body: firstPage };
const rows = [
  await drive('timeline first page (20), gateway', gateway),
  await drive('timeline first page (20), interaction subgraph direct', {
    url: urlOf('interaction'),
    headers,
    body: JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { timeline(first: 20) { edges { node { id occurredAt type summary } } } } } }',
      variables: { r: [{ __typename: 'Customer', id: customerId }] },
    }),
  }),
  await drive('customer by id only, gateway (the hop the timeline query adds to)', {
    url: urlOf('gateway'),
    headers,
    body: JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id } }', variables: { id: customerId } }),
  }),
  // Once more at the end: the first run follows the platform's start closely, and this machine is shared.
  await drive('timeline first page (20), gateway, again', gateway),
];
console.table(rows);
console.log(`${footer()}; load average after: ${load()}`);
platform.stop();
process.exit(0);
