import { callerWith, contextFor, customerEntities, recordQueries, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSubgraph } from '../src/index.ts';
import { createdCustomer } from './factories.ts';

let h: SubgraphHarness;
const admin = callerWith('Admin');
let ids: string[] = [];

beforeAll(async () => {
  h = await startSubgraphHarness(customerSubgraph);
  for (let i = 0; i < 20; i++) {
    const { id } = await createdCustomer(h, admin);
    ids.push(id);
    await h.run(admin, `mutation($id: ID!) { updateCustomerPreferences(customerId: $id, input: { seat: WINDOW }) { seat } }`, { id });
    await h.run(admin, `mutation($id: ID!) { recordConsent(input: { customerId: $id, purpose: PROFILING, granted: true, source: WEB }) { id } }`, { id });
    await h.run(admin, `mutation($id: ID!) { addContact(customerId: $id, input: { firstName: "A", lastName: "B", email: "a@example.com" }) { id } }`, { id });
  }
});
afterAll(() => h?.close());

/** Statements a query of `fields` over all 20 customers costs, as the gateway asks for them (one `_entities`). */
async function statementsFor(fields: string): Promise<string[]> {
  const representations = ids.map((id) => ({ __typename: 'Customer', id }));
  const { result, queries } = await recordQueries(h.handle.db, () =>
    h.run(admin, customerEntities(fields), { representations }),
  );
  expect(result.errors).toBeUndefined();
  expect(result.data._entities).toHaveLength(20);
  return queries;
}

describe('batching', () => {
  it('resolves 20 customers by reference in one statement', async () => {
    expect(await statementsFor('customerNumber')).toHaveLength(1);
  });

  it.each([
    ['preferences', 'preferences { seat }'],
    ['consents', 'consents { purpose } consentHistory { granted }'],
    ['devices', 'devices { deviceId }'],
    ['history', 'history(first: 5) { attribute }'],
    ['contacts', 'contacts { email } primaryContact { email }'],
  ])('reads %s of 20 customers in one statement more, whatever the number of customers', async (_name, fields) => {
    const queries = await statementsFor(fields);
    expect(queries).toHaveLength(2);
  });

  it('gives every request its own loaders (no cache shared between callers)', () => {
    const a = contextFor(customerSubgraph, h.handle, admin).loaders;
    const b = contextFor(customerSubgraph, h.handle, admin).loaders;
    expect(a.customerById).not.toBe(b.customerById);
  });
});
