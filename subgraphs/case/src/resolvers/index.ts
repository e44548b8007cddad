import {
  ForbiddenError,
  NotFoundError,
  Privilege,
  normaliseFilter,
  isSelfServiceOnly,
  requireCustomerAccess,
  requirePrivilege,
  requireUuid,
  type Caller,
} from '@cmp/platform';
import { asc } from 'drizzle-orm';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { DOWNLOAD_LINK_MINUTES, attachmentRuntime, completeUpload, findAttachment, requestUpload } from '../attachments/attachments.ts';
import type { Context } from '../context.ts';
import { queues, routingRules, slaPolicies, type CaseRow } from '../db/schema.ts';
import { openCase } from '../domain/cases.ts';
import { decideClaim, fileClaim, recordPayment } from '../domain/claims.ts';
import { calculateCompensation, compensationSettings, type CompensationDecision } from '../domain/compensation/engine.ts';
import { addComment, changeCaseStatus, resolveCase } from '../domain/lifecycle.ts';
import { assignCase, defineAgent, defineQueue, setRoutingRules, workList } from '../domain/routing.ts';
import { setSlaPolicy } from '../domain/sla.ts';

/** Download links live five minutes, counted from the minute they are handed out (stable within a response). */
function downloadExpiry(): Date {
  const minute = 60_000;
  return new Date(Math.ceil(Date.now() / minute) * minute + DOWNLOAD_LINK_MINUTES * minute);
}

/** Work lists and routing are staff views: complaint handling, not self-service. */
function requireStaff(caller: Caller): void {
  requirePrivilege(caller, Privilege.ComplaintManage);
  if (isSelfServiceOnly(caller)) throw new ForbiddenError('Work lists are for staff');
}

/** Status changes and resolutions are staff work: complaint handling on the case's customer, not self-service. */
async function requireCaseHandler(caller: Caller, loaders: Context['loaders'], caseId: string): Promise<void> {
  const row = await loaders.caseById.load(requireUuid('caseId', caseId));
  if (!row) throw new NotFoundError('Case', caseId, 'COMP-001');
  if (isSelfServiceOnly(caller)) throw new ForbiddenError('A customer follows its cases; staff change them');
  requireCustomerAccess(caller, row.customerId, Privilege.ComplaintManage);
}

/** Complaint handlers and readers of the customer see a case; a customer sees its own. */
function requireCaseAccess(caller: Caller, row: CaseRow): void {
  requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
}

export const resolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    case: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.caseById.load(requireUuid('id', id));
      if (row) requireCaseAccess(caller, row);
      return row;
    },
    myWorkList: (_parent, _args, { caller, db }) => {
      requireStaff(caller);
      return workList(db, { assignee: caller.subject });
    },
    agentWorkList: (_parent, { agentId }, { caller, db }) => {
      requireStaff(caller);
      return workList(db, { assignee: agentId });
    },
    queueWorkList: (_parent, { queueCode }, { caller, db }) => {
      requireStaff(caller);
      return workList(db, { queueCode: queueCode.trim().toUpperCase() });
    },
    queues: (_parent, _args, { caller, db }) => {
      requireStaff(caller);
      return db.select().from(queues).orderBy(asc(queues.code));
    },
    slaPolicies: (_parent, _args, { caller, db }) => {
      requireStaff(caller);
      return db.select().from(slaPolicies).orderBy(asc(slaPolicies.firstResponseMinutes));
    },
    routingRules: (_parent, _args, { caller, db }) => {
      requireStaff(caller);
      return db.select().from(routingRules).orderBy(asc(routingRules.position));
    },
    calculateCompensation: (_parent, { input }, { caller }) => {
      requirePrivilege(caller, Privilege.CustomerRead);
      return calculateCompensation(input, compensationSettings());
    },
  },
  Mutation: {
    changeCaseStatus: async (_parent, { input }, { db, caller, events, loaders }) => {
      await requireCaseHandler(caller, loaders, input.caseId);
      return changeCaseStatus(db, caller, events, input);
    },
    resolveCase: async (_parent, { input }, { db, caller, events, loaders }) => {
      await requireCaseHandler(caller, loaders, input.caseId);
      return resolveCase(db, caller, events, input);
    },
    fileCompensationClaim: async (_parent, { caseId, input }, { db, caller, events, loaders }) => {
      await requireCaseHandler(caller, loaders, caseId);
      return fileClaim(db, caller, events, caseId, input);
    },
    approveCompensation: (_parent, { claimId, note }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CompensationApprove);
      return decideClaim(db, caller, events, claimId, true, note);
    },
    rejectCompensation: (_parent, { claimId, note }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CompensationApprove);
      return decideClaim(db, caller, events, claimId, false, note);
    },
    recordCompensationPayment: (_parent, { claimId, paymentReference }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CompensationApprove);
      return recordPayment(db, caller, events, claimId, paymentReference);
    },
    assignCase: async (_parent, { input }, { db, caller, events, loaders }) => {
      await requireCaseHandler(caller, loaders, input.caseId);
      return assignCase(db, caller, events, input);
    },
    defineAgent: (_parent, { input }, { db, caller }) => {
      requirePrivilege(caller, Privilege.CaseRoutingManage);
      return defineAgent(db, input);
    },
    defineQueue: (_parent, { input }, { db, caller }) => {
      requirePrivilege(caller, Privilege.CaseRoutingManage);
      return defineQueue(db, input);
    },
    setSlaPolicy: (_parent, { input }, { db, caller }) => {
      requirePrivilege(caller, Privilege.CaseRoutingManage);
      return setSlaPolicy(db, input);
    },
    requestCaseAttachmentUpload: async (_parent, { input }, { db, caller, loaders, origin }) => {
      const row = await loaders.caseById.load(requireUuid('caseId', input.caseId));
      if (!row) throw new NotFoundError('Case', input.caseId, 'COMP-001');
      requireCustomerAccess(caller, row.customerId, Privilege.ComplaintManage);
      return requestUpload(db, caller, attachmentRuntime(), row, input, origin);
    },
    completeCaseAttachment: async (_parent, { attachmentId }, { db, caller, events, loaders }) => {
      const attachment = await findAttachment(db, requireUuid('attachmentId', attachmentId));
      const row = (await loaders.caseById.load(attachment.caseId))!;
      requireCustomerAccess(caller, row.customerId, Privilege.ComplaintManage);
      return completeUpload(db, caller, events, attachmentRuntime(), attachment);
    },
    setRoutingRules: (_parent, { rules }, { db, caller }) => {
      requirePrivilege(caller, Privilege.CaseRoutingManage);
      return setRoutingRules(db, rules);
    },
    addCaseComment: async (_parent, { input }, { db, caller, loaders }) => {
      const row = await loaders.caseById.load(requireUuid('caseId', input.caseId));
      if (!row) throw new NotFoundError('Case', input.caseId, 'COMP-001');
      requireCustomerAccess(caller, row.customerId, Privilege.ComplaintManage);
      const internal = input.internal ?? false;
      if (internal && isSelfServiceOnly(caller)) throw new ForbiddenError('Only staff write internal comments');
      return addComment(db, caller, row.id, input.body, internal, !isSelfServiceOnly(caller));
    },
    openCase: (_parent, { input }, { db, caller, events }) => {
      requireCustomerAccess(caller, requireUuid('customerId', input.customerId), Privilege.ComplaintManage);
      return openCase(db, caller, events, input, isSelfServiceOnly(caller) ? 'SELF_SERVICE' : 'AGENT');
    },
  },
  Case: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const row = await loaders.caseById.load(reference.id);
      if (row) requireCaseAccess(caller, row);
      return row;
    },
    history: (row, _args, { loaders }) => loaders.historyByCaseId.load(row.id),
    comments: async (row, _args, { caller, loaders }) => {
      const all = await loaders.commentsByCaseId.load(row.id);
      return isSelfServiceOnly(caller) ? all.filter((c) => !c.internal) : all;
    },
    compensationClaim: (row, _args, { loaders }) => loaders.claimByCaseId.load(row.id),
    slaMilestones: (row, _args, { loaders }) => loaders.milestonesByCaseId.load(row.id),
    attachments: (row, _args, { loaders }) => loaders.attachmentsByCaseId.load(row.id),
    compensationOffered: (row) =>
      row.compensationOfferedMinor === null ? null : { amountMinor: row.compensationOfferedMinor, currency: row.compensationCurrency! },
    customer: (row) => ({ id: row.customerId }),
  },
  Queue: {
    agents: (queue, _args, { loaders }) => loaders.agentsOfQueue.load(queue.code),
  },
  CaseAttachment: {
    downloadUrl: (attachment, _args, { origin }) =>
      attachment.status === 'AVAILABLE'
        ? attachmentRuntime().store.downloadUrl(attachment.storageKey, attachment.fileName, downloadExpiry(), origin)
        : null,
    downloadUrlExpiresAt: (attachment) => (attachment.status === 'AVAILABLE' ? downloadExpiry() : null),
  },
  CaseAttachmentUpload: {
    headers: (upload) => Object.entries(upload.headers).map(([name, value]) => `${name}: ${value}`),
  },
  CompensationClaim: {
    amount: (claim) => ({ amountMinor: claim.amountMinor, currency: claim.currency }),
    decision: (claim) => claim.decision as unknown as CompensationDecision,
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    cases: (customer, { status }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      return loaders.casesOfCustomer(customer.id, normaliseFilter(status));
    },
  },
};
