/**
 * Throughput and latency of one customer read, through the gateway and straight to the customer subgraph.
 *
 *   pnpm bench                       # against postgres://postgres@127.0.0.1:5432/cmp_bench (created if missing)
 *   BENCH_DATABASE_URL=... BENCH_SECONDS=20 BENCH_CONNECTIONS=50 pnpm bench
 *
 * Starts the platform in server mode (Postgres) as a child process on ports 4100-4105, seeds one customer with
 * loyalty, then drives each scenario with autocannon and prints requests per second and p50/p95/p99 latency.
 */
import { drive, footer, startBenchPlatform, urlOf } from './support.ts';

const platform = await startBenchPlatform();
const token = await platform.token(['Admin']);
const { createCustomer } = await platform.graphql(token, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
  i: { type: 'INDIVIDUAL', firstName: 'Bench', lastName: 'Mark', primaryEmail: `bench.${Date.now()}@example.com` },
});
const id = createCustomer.id as string;
await platform.graphql(token, 'mutation($i: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $i) { id } }', { i: { customerId: id, tier: 'ORO' } });

const headers = { authorization: `Bearer ${token}` };
const customerOnly = JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id customerNumber displayName segment } }', variables: { id } });
const withLoyalty = JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id customerNumber displayName loyalty { tier aviosBalance } } }', variables: { id } });

const rows = [
  await drive('customer by id, gateway', { url: urlOf('gateway'), headers, body: customerOnly }),
  await drive('customer by id, customer subgraph direct', { url: urlOf('customer'), headers, body: customerOnly }),
  await drive('customer + loyalty, gateway (2 subgraphs)', { url: urlOf('gateway'), headers, body: withLoyalty }),
];
console.table(rows);
console.log(footer());
platform.stop();
process.exit(0);
