import type { Caller } from '@cmp/platform';
import type { SubgraphHarness } from '@cmp/platform/testing';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id customerNumber } }
`;

let counter = 0;
export const uniqueEmail = (name = 'customer') => `${name}.${process.pid}.${Date.now()}.${++counter}@example.com`;

export function individual(overrides: Record<string, unknown> = {}) {
  return {
    type: 'INDIVIDUAL',
    firstName: 'Lucía',
    lastName: 'Fernández',
    primaryEmail: uniqueEmail('lucia'),
    primaryPhone: '+34 912 345 678',
    billingAddress: { street: 'Calle de Alcalá 1', city: 'Madrid', zipCode: '28014', country: 'es' },
    ...overrides,
  };
}

/** A customer created through the API, as an Admin unless told otherwise. */
export async function createdCustomer(
  h: SubgraphHarness,
  caller: Caller,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; customerNumber: string }> {
  const result = await h.run(caller, CREATE, { input: individual(overrides) });
  if (result.errors) throw new Error(`createCustomer failed: ${result.errors[0]!.message}`);
  return result.data.createCustomer;
}
