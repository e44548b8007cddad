import {
  decodeCursor,
  ForbiddenError,
  normaliseFilter,
  Privilege,
  requireCustomerAccess,
  requirePageSize,
  requirePrivilege,
  requireUuid,
  toConnection,
} from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { findCapturedPage, listTemplates } from '../db/delivery.repo.ts';
import { placeholdersIn } from '../delivery/templates.ts';
import { organizerAddress } from '../delivery/runtime.ts';
import { defineEmailTemplate, recordEmailBounce, requireTemplateAuthor, sendEmail, sendSms } from '../domain/delivery.ts';
import { cancelMeeting, scheduleMeeting } from '../domain/meetings.ts';

const MAX_PAGE = 100;

export const deliveryResolvers: Resolvers<Context> = {
  Query: {
    message: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.messageById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    emailTemplates: (_parent, _args, { caller, db }) => {
      if (!caller.roles.some((r) => r === 'Admin' || r === 'MarketingManager')) requirePrivilege(caller, Privilege.InteractionLog);
      return listTemplates(db);
    },
    meeting: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.meetingById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    capturedMessages: async (_parent, { first, after }, { caller, db }) => {
      if (!caller.roles.includes('Admin')) throw new ForbiddenError('Only Admin may read the captured messages');
      const limit = requirePageSize('first', first, 20, MAX_PAGE);
      const cursor = after ? decodeCursor('after', after) : null;
      return toConnection(await findCapturedPage(db, limit, cursor), limit, (c) => ({ at: c.capturedAt, id: c.id }));
    },
  },
  Mutation: {
    sendEmail: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return sendEmail(db, caller, events, input);
    },
    sendSms: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return sendSms(db, caller, events, input);
    },
    defineEmailTemplate: (_parent, { input }, { db, caller }) => {
      requireTemplateAuthor(caller);
      return defineEmailTemplate(db, caller, input);
    },
    recordEmailBounce: (_parent, { messageId, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return recordEmailBounce(db, events, messageId, reason);
    },
    scheduleMeeting: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return scheduleMeeting(db, caller, events, organizerAddress(), { ...input, startsAt: new Date(input.startsAt), endsAt: new Date(input.endsAt) });
    },
    cancelMeeting: (_parent, { id, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InteractionLog);
      return cancelMeeting(db, caller, events, id, reason);
    },
  },
  Interaction: {
    messages: (interaction, _args, { loaders }) => loaders.messagesOfInteraction.load(interaction.id),
    meeting: (interaction, _args, { loaders }) => (interaction.channel === 'MEETING' ? loaders.meetingOfInteraction.load(interaction.id) : null),
  },
  Customer: {
    messages: async (customer, { first, after, channel, status }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const limit = requirePageSize('first', first, 20, MAX_PAGE);
      const cursor = after ? decodeCursor('after', after) : null;
      const page = { limit, after: cursor, channel: channel ?? null, statuses: normaliseFilter(status) };
      return toConnection(await loaders.messagesOfCustomer(customer.id, page), limit, (m) => ({ at: m.createdAt, id: m.id }));
    },
  },
  Message: {
    text: (m) => m.textBody,
    html: (m) => m.htmlBody,
    templateVariables: (m) =>
      m.templateVariables
        ? Object.entries(m.templateVariables)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, value]) => ({ name, value }))
        : null,
    attachments: (m, _args, { loaders }) => loaders.attachmentsOfMessage.load(m.id),
    nextAttemptAt: (m) => (m.status === 'QUEUED' ? m.nextAttemptAt : null),
    interaction: async (m, _args, { loaders }) => (await loaders.interactionById.load(m.interactionId))!,
    customer: (m) => ({ id: m.customerId }),
  },
  EmailTemplate: {
    text: (t) => t.textBody,
    html: (t) => t.htmlBody,
    variables: (t) => placeholdersIn(t.subject, t.textBody, t.htmlBody),
  },
  CapturedMessage: {
    text: (c) => c.textBody,
  },
  Meeting: {
    interaction: async (m, _args, { loaders }) => (await loaders.interactionById.load(m.interactionId))!,
    customer: (m) => ({ id: m.customerId }),
    messages: (m, _args, { loaders }) => loaders.messagesOfMeeting.load(m.id),
  },
};
