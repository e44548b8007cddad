import { Privilege, isSelfServiceOnly, requireCustomerAccess, requirePrivilege, requireUuid, servedByTheGateway, toConnection } from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { logInteraction } from '../domain/interactions.ts';
import { isOverdue } from '../domain/follow-ups.ts';
import { timelinePage } from '../domain/timeline.ts';
import { linkOf } from '../domain/timeline-projection.ts';

export const timelineResolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    interaction: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.interactionById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    timelineEntry: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.timelineEntryById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
  },
  Subscription: {
    customerTimeline: { subscribe: servedByTheGateway },
  },
  Mutation: {
    logInteraction: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return logInteraction(db, caller, events, input);
    },
  },
  Interaction: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const row = await loaders.interactionById.load(reference.id);
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    customer: (row) => ({ id: row.customerId }),
    // An agent's notes are internal: the customer's own token reads its communications without them.
    notes: (row, _args, { caller }) => (isSelfServiceOnly(caller) ? null : row.notes),
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    timeline: async (customer, { first, after, types }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const page = timelinePage(first, after, types);
      return toConnection(await loaders.timelineOfCustomer(customer.id, page), page.limit, (e) => ({ at: e.occurredAt, id: e.id }));
    },
    followUpTasks: (customer, { includeDone }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.InteractionLog);
      return loaders.followUpTasksOfCustomer(customer.id, includeDone ?? false);
    },
  },
  FollowUpTask: {
    overdue: (task) => isOverdue(task),
  },
  TimelineEntry: {
    link: (entry) => linkOf(entry),
  },
};
