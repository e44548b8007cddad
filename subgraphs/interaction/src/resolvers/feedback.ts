import {
  ForbiddenError,
  Privilege,
  decodeCursor,
  isSelfServiceOnly,
  normaliseFilter,
  requireCustomerAccess,
  requirePageSize,
  requireUuid,
  toConnection,
  type Caller,
} from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { decideTestimonial, publishedTestimonials, submitFeedback, withdrawTestimonialConsent } from '../domain/feedback.ts';

const PUBLIC_PAGE_MAX = 50;
const FEEDBACK_PAGE_MAX = 100;

/** Staff with read access to the customer; customer tokens never see analyses, insights or moderation details. */
function isStaffReader(caller: Caller, customerId: string): boolean {
  if (isSelfServiceOnly(caller)) return false;
  requireCustomerAccess(caller, customerId, Privilege.CustomerRead);
  return true;
}

function requireStaffReader(caller: Caller, customerId: string): void {
  if (!isStaffReader(caller, customerId)) throw new ForbiddenError(`Only staff may read this about customer ${customerId}`);
}

const keyset = (field: string, after: string | null | undefined) => (after ? decodeCursor(field, after) : null);

export const feedbackResolvers: Resolvers<Context> = {
  Query: {
    publicTestimonials: async (_parent, { first, after }, { db }) => {
      const limit = requirePageSize('first', first, 10, PUBLIC_PAGE_MAX);
      const rows = await publishedTestimonials(db, { limit, after: keyset('after', after) });
      return toConnection(rows, limit, (f) => ({ at: f.decidedAt!, id: f.id }));
    },
    feedback: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.feedbackById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
  },
  Mutation: {
    submitFeedback: (_parent, { input }, { db, caller, events }) => submitFeedback(db, caller, events, input),
    approveTestimonial: (_parent, { id }, { db, caller, events }) => decideTestimonial(db, caller, events, id, { approve: true }),
    rejectTestimonial: (_parent, { id, reason }, { db, caller, events }) => decideTestimonial(db, caller, events, id, { approve: false, reason }),
    withdrawTestimonialConsent: (_parent, { id }, { db, caller, events }) => withdrawTestimonialConsent(db, caller, events, id),
  },
  Feedback: {
    content: (row) => row.publicContent,
    originalContent: (row, _args, { caller }) => (isStaffReader(caller, row.customerId) ? row.content : null),
    decidedBy: (row, _args, { caller }) => (isStaffReader(caller, row.customerId) ? row.decidedBy : null),
    consentToPublish: (row) => row.consentToPublish && row.consentWithdrawnAt === null,
    customer: (row) => ({ id: row.customerId }),
    analysis: (row, _args, { caller, loaders }) => (isStaffReader(caller, row.customerId) ? loaders.analysisOf(row.id, 'Feedback') : null),
  },
  PublicTestimonial: {
    content: (row) => row.publicContent,
    rating: (row) => row.rating!,
    publishedAt: (row) => row.decidedAt!,
  },
  Interaction: {
    analysis: (row, _args, { caller, loaders }) => (isStaffReader(caller, row.customerId) ? loaders.analysisOf(row.id, 'Interaction') : null),
  },
  Case: {
    __resolveReference: (reference) => ({ id: reference.id }),
    analysis: async (kase, _args, { caller, loaders }) => {
      const row = await loaders.analysisOf(kase.id, 'Case');
      return row && isStaffReader(caller, row.customerId) ? row : null;
    },
  },
  Customer: {
    feedback: async (customer, { first, after, kinds }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const limit = requirePageSize('first', first, 20, FEEDBACK_PAGE_MAX);
      const rows = await loaders.feedbackOfCustomer(customer.id, { limit, after: keyset('after', after), kinds: normaliseFilter(kinds) });
      return toConnection(rows, limit, (f) => ({ at: f.submittedAt, id: f.id }));
    },
    insights: (customer, _args, { caller, loaders }) => {
      requireStaffReader(caller, customer.id);
      return loaders.insightsOfCustomer.load(customer.id);
    },
    textAnalyses: (customer, { label, first }, { caller, loaders }) => {
      requireStaffReader(caller, customer.id);
      return loaders.textAnalysesOfCustomer(customer.id, { label: label ?? null, limit: requirePageSize('first', first, 20, FEEDBACK_PAGE_MAX) });
    },
  },
};
