import { Privilege, requireCustomerAccess, requirePrivilege, requireUuid } from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { enrollMember } from '../domain/enrolment.ts';
import { TIER_RULES } from '../domain/tiers.ts';

export const resolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    loyaltyAccount: async (_parent, { id }, { caller, loaders }) => {
      const account = await loaders.accountById.load(requireUuid('id', id));
      if (!account) return null;
      requireCustomerAccess(caller, account.customerId, Privilege.CustomerRead);
      return account;
    },
  },
  Mutation: {
    enrollLoyaltyMember: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return enrollMember(db, caller, events, input);
    },
  },
  LoyaltyAccount: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const account = await loaders.accountById.load(reference.id);
      if (account) requireCustomerAccess(caller, account.customerId, Privilege.CustomerRead);
      return account;
    },
    oneworldTier: (account) => TIER_RULES[account.tier].oneworld,
    loungeAccess: (account) => TIER_RULES[account.tier].loungeAccess,
    guestAllowance: (account) => TIER_RULES[account.tier].guestAllowance,
    tierHistory: (account, _args, { loaders }) => loaders.tierHistoryByAccountId.load(account.id),
    customer: (account) => ({ id: account.customerId }),
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    loyalty: (customer, _args, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      return loaders.accountByCustomerId.load(customer.id);
    },
  },
};
