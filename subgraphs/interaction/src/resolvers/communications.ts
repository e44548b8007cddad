import { Privilege, requireCustomerAccess, requirePrivilege, toConnection } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { FollowUpTaskRow } from '../db/schema.ts';
import { assignFollowUpTask, completeFollowUpTask, createFollowUpTask, listFollowUpTasks, workListQuery, type WorkListArguments } from '../domain/follow-ups.ts';
import { interactionPage } from '../domain/interactions.ts';

const taskPosition = (t: FollowUpTaskRow) => ({ at: t.dueAt, id: t.id });

async function workList({ db }: Context, args: WorkListArguments) {
  const query = workListQuery(args);
  return toConnection(await listFollowUpTasks(db, query), query.limit, taskPosition);
}

export const communicationsResolvers: Resolvers<Context> = {
  Query: {
    followUpTasks: (_parent, args, context) => {
      requirePrivilege(context.caller, Privilege.InteractionLog);
      return workList(context, args);
    },
    myFollowUpTasks: (_parent, args, context) => {
      requirePrivilege(context.caller, Privilege.InteractionLog);
      return workList(context, { ...args, assignee: context.caller.subject, queue: false });
    },
  },
  Mutation: {
    createFollowUpTask: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return createFollowUpTask(db, caller, events, input);
    },
    assignFollowUpTask: (_parent, { id, assignee }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return assignFollowUpTask(db, caller, events, id, assignee);
    },
    completeFollowUpTask: (_parent, { id, note }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return completeFollowUpTask(db, caller, events, id, note);
    },
  },
  Customer: {
    interactions: async (customer, { first, after, channels, from, to }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const page = interactionPage(first, after, channels, from, to);
      return toConnection(await loaders.interactionsOfCustomer(customer.id, page), page.limit, (i) => ({ at: i.occurredAt, id: i.id }));
    },
  },
  FollowUpTask: {
    customer: (task) => ({ id: task.customerId }),
  },
};
