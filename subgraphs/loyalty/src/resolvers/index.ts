import {
  NotFoundError,
  Privilege,
  decodeCursor,
  requireCustomerAccess,
  requirePageSize,
  requirePrivilege,
  requireUuid,
  toConnection,
} from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { externalLoyaltySystem } from '../adapters/external-loyalty.ts';
import type { Context } from '../context.ts';
import { enrollMember } from '../domain/enrolment.ts';
import { overrideTier, postEntry } from '../domain/ledger.ts';
import { loungeEligibility } from '../domain/lounge-access.ts';
import { refreshAccount } from '../domain/sync.ts';
import { TIER_RULES } from '../domain/tiers.ts';

async function visibleAccount({ caller, loaders }: Context, rawId: string) {
  const account = await loaders.accountById.load(requireUuid('id', rawId));
  if (account) requireCustomerAccess(caller, account.customerId, Privilege.CustomerRead);
  return account;
}

export const resolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    loyaltyAccount: (_parent, { id }, context) => visibleAccount(context, id),
    loungeEligibility: (_parent, args, { db, caller, events }) => {
      requireCustomerAccess(caller, requireUuid('customerId', args.customerId), Privilege.CustomerRead);
      return loungeEligibility(db, caller, events, args);
    },
  },
  Mutation: {
    enrollLoyaltyMember: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return enrollMember(db, caller, events, input);
    },
    accruePoints: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return postEntry(db, caller, events, { ...input, kind: 'ACCRUAL' });
    },
    redeemAvios: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return postEntry(db, caller, events, { ...input, kind: 'REDEMPTION', source: 'REWARD', avios: -input.avios });
    },
    expireAvios: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return postEntry(db, caller, events, { ...input, kind: 'EXPIRY', source: 'PROGRAMME', avios: -input.avios });
    },
    adjustPoints: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return postEntry(db, caller, events, { ...input, avios: input.avios ?? 0, kind: 'ADJUSTMENT', source: 'MANUAL', description: input.reason });
    },
    overrideLoyaltyTier: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.LoyaltyManage);
      return overrideTier(db, caller, events, { ...input, expiresAt: input.tierExpiresAt });
    },
    refreshLoyaltyAccount: async (_parent, { id }, context) => {
      const account = await visibleAccount(context, id);
      if (!account) throw new NotFoundError('LoyaltyAccount', id);
      return refreshAccount(context.db, context.caller, context.events, externalLoyaltySystem(), account);
    },
  },
  LoyaltyAccount: {
    __resolveReference: (reference, context) => visibleAccount(context, reference.id),
    oneworldTier: (account) => TIER_RULES[account.tier].oneworld,
    loungeAccess: (account) => TIER_RULES[account.tier].loungeAccess,
    guestAllowance: (account) => TIER_RULES[account.tier].guestAllowance,
    tierHistory: (account, _args, { loaders }) => loaders.tierHistoryByAccountId.load(account.id),
    statement: async (account, { first, after }, { loaders }) => {
      const page = { limit: requirePageSize('first', first, 50, 200), after: after ? decodeCursor('after', after) : null };
      return toConnection(await loaders.statementOfAccount(account.id, page), page.limit, (e) => ({ at: e.createdAt, id: e.id }));
    },
    customer: (account) => ({ id: account.customerId }),
  },
  LedgerEntry: {
    recordedAt: (entry) => entry.createdAt,
  },
  LoyaltyAccountRefresh: {
    dataAsOf: (view) => view.asOf,
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    loyalty: (customer, _args, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      return loaders.accountByCustomerId.load(customer.id);
    },
  },
};
