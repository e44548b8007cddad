import { Privilege, requireCustomerAccess, requirePrivilege, requireUuid } from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { createCustomer, displayName } from '../domain/customers.ts';

async function visibleCustomer(context: Context, rawId: string) {
  const id = requireUuid('id', rawId);
  requireCustomerAccess(context.caller, id, Privilege.CustomerRead);
  const customer = await context.loaders.customerById.load(id);
  return customer && !customer.deactivatedAt ? customer : null;
}

export const customerResolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    customer: (_parent, { id }, context) => visibleCustomer(context, id),
  },
  Mutation: {
    createCustomer: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerCreate);
      return createCustomer(db, caller, events, input);
    },
  },
  Customer: {
    __resolveReference: (reference, context) => visibleCustomer(context, reference.id),
    displayName: (customer) => displayName(customer),
    billingAddress: (c) =>
      c.billingStreet && c.billingCity && c.billingZipCode && c.billingCountry
        ? { street: c.billingStreet, city: c.billingCity, state: c.billingState, zipCode: c.billingZipCode, country: c.billingCountry }
        : null,
  },
};
