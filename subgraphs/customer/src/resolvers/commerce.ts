import { decodeCursor, NotFoundError, Privilege, requireCustomerAccess, requirePageSize, requirePrivilege, requireUuid, toConnection } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { ListPage } from '../db/commerce.repo.ts';
import { recordPurchase, refundPurchase } from '../domain/purchases.ts';
import { recordTrip } from '../domain/trips.ts';
import { overrideRating, overrideSegment } from '../domain/value.ts';

const money = (amountMinor: number, currency: string) => ({ amountMinor, currency });

function page(first: number | null | undefined, after: string | null | undefined): ListPage {
  return { limit: requirePageSize('first', first, 20, 100), after: after ? decodeCursor('after', after) : null };
}

export const commerceResolvers: Resolvers<Context> = {
  Mutation: {
    recordPurchase: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return recordPurchase(db, caller, events, input);
    },
    refundPurchase: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return refundPurchase(db, caller, events, input);
    },
    recordTrip: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return recordTrip(db, caller, events, input);
    },
    overrideCustomerSegment: (_parent, { customerId, segment, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return overrideSegment(db, caller, events, customerId, segment ?? null, reason);
    },
    overrideCustomerRating: (_parent, { customerId, rating, reason }, { db, caller, events }) => {
      // A manager's override (DOMAIN.md): the roles that may deactivate customers, Admin and CustomerManager.
      requirePrivilege(caller, Privilege.CustomerDeactivate);
      return overrideRating(db, caller, events, customerId, rating ?? null, reason);
    },
  },
  Customer: {
    lifetimeValue: (customer) => money(customer.lifetimeValueMinor, 'EUR'),
    purchases: async (customer, { first, after }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const p = page(first, after);
      const rows = await loaders.purchasesOfCustomer(customer.id, p);
      return toConnection(rows, p.limit, (row) => ({ at: row.purchasedAt, id: row.id }));
    },
    travelHistory: async (customer, { first, after }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const p = page(first, after);
      const rows = await loaders.tripsOfCustomer(customer.id, p);
      return toConnection(rows, p.limit, (row) => ({ at: row.scheduledDeparture, id: row.id }));
    },
  },
  Purchase: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const purchase = await loaders.purchaseById.load(requireUuid('id', reference.id));
      if (!purchase) return null;
      requireCustomerAccess(caller, purchase.customerId, Privilege.CustomerRead);
      return purchase;
    },
    customer: async (purchase, _args, { loaders }) => {
      const customer = await loaders.customerById.load(purchase.customerId);
      if (!customer) throw new NotFoundError('Customer', purchase.customerId);
      return customer;
    },
    items: (purchase) =>
      purchase.items.map((item) => ({
        sku: item.sku,
        description: item.description,
        quantity: item.quantity,
        unitPrice: money(item.unitAmountMinor, purchase.currency),
      })),
    amount: (purchase) => money(purchase.amountMinor, purchase.currency),
    refunded: (purchase) => money(purchase.refundedMinor, purchase.currency),
    reportingAmount: (purchase) => money(purchase.reportingAmountMinor - purchase.reportingRefundedMinor, 'EUR'),
  },
};
