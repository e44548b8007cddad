import {
  BadUserInputError,
  DomainRuleError,
  ForbiddenError,
  hasPrivilege,
  NotFoundError,
  Privilege,
  recordEvent,
  refuseErasedCustomer,
  requireLength,
  requirePrivilege,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { analyseForStorage, storeTextAnalysis } from '../analysis/index.ts';
import { containsProfanity, maskProfanity } from '../analysis/profanity.ts';
import {
  decidePendingTestimonial,
  findFeedbackByIds,
  findPublicTestimonials,
  insertFeedback,
  withdrawConsent,
  type FeedbackKind,
  type KeysetPage,
} from '../db/feedback.repo.ts';
import type { FeedbackRow } from '../db/feedback.schema.ts';
import { erasedCustomers, outbox } from '../db/schema.ts';
import { addTimelineEntry } from './timeline.ts';

export const CONTENT_MAX = 2000;
export const AUTHOR_NAME_MAX = 100;
export const REJECTION_REASON_MAX = 500;

export const FEEDBACK_SUBMITTED = 'cmp.interaction.FeedbackSubmitted';
export const TESTIMONIAL_APPROVED = 'cmp.interaction.TestimonialApproved';
export const TESTIMONIAL_REJECTED = 'cmp.interaction.TestimonialRejected';
export const TESTIMONIAL_CONSENT_WITHDRAWN = 'cmp.interaction.TestimonialConsentWithdrawn';

export interface SubmitFeedbackInput {
  customerId: string;
  kind: FeedbackKind;
  content: string;
  rating?: number | null;
  authorName: string;
  consentToPublish?: boolean | null;
}

const KIND_NAMES: Record<FeedbackKind, string> = { COMPLIMENT: 'Compliment', SUGGESTION: 'Suggestion', TESTIMONIAL: 'Testimonial' };

/** Staff who log interactions, or the customer's own token. */
function requireFeedbackAuthor(caller: Caller, customerId: string): void {
  if (hasPrivilege(caller, Privilege.InteractionLog)) return;
  if (caller.roles.includes('Customer') && caller.customerId === customerId) return;
  throw new ForbiddenError(`You may not submit feedback for customer ${customerId} (${Privilege.InteractionLog})`);
}

/** Staff who log interactions or decide testimonials, or the customer's own token. */
function requireConsentHolder(caller: Caller, customerId: string): void {
  if (hasPrivilege(caller, Privilege.InteractionLog) || hasPrivilege(caller, Privilege.TestimonialApprove)) return;
  if (caller.roles.includes('Customer') && caller.customerId === customerId) return;
  throw new ForbiddenError(`You may not change the consent of customer ${customerId}'s testimonial`);
}

export function validateFeedback(input: SubmitFeedbackInput) {
  const content = requireLength('content', input.content, { min: 1, max: CONTENT_MAX });
  const authorName = requireLength('authorName', input.authorName, { min: 1, max: AUTHOR_NAME_MAX });
  // The author's name is shown beside a published testimonial as given: it cannot be masked, so it is refused.
  if (containsProfanity(authorName)) throw new BadUserInputError('authorName', 'must not contain profanity');
  const rating = input.rating ?? null;
  if (rating === null && input.kind === 'TESTIMONIAL') throw new BadUserInputError('rating', 'is required for a testimonial');
  if (rating !== null && (!Number.isInteger(rating) || rating < 1 || rating > 5)) throw new BadUserInputError('rating', 'must be a whole number from 1 to 5');
  if (input.consentToPublish && input.kind !== 'TESTIMONIAL') {
    throw new BadUserInputError('consentToPublish', 'only testimonials are published: leave it unset for compliments and suggestions');
  }
  return { content, authorName, rating, consentToPublish: input.kind === 'TESTIMONIAL' && input.consentToPublish === true };
}

export function feedbackTimelineSummary(row: Pick<FeedbackRow, 'kind' | 'rating' | 'publicContent'>): string {
  const text = row.publicContent.length > 140 ? `${row.publicContent.slice(0, 139)}…` : row.publicContent;
  return `${KIND_NAMES[row.kind]}${row.rating !== null ? ` (${row.rating}/5)` : ''}: ${text}`;
}

/**
 * Records a compliment, suggestion or testimonial with its text analysis, its timeline entry and a
 * FeedbackSubmitted event, together. Profanity is masked in the public text; the original stays for staff.
 * Testimonials wait for a marketing decision.
 */
export async function submitFeedback(db: Database, caller: Caller, events: EventContext, input: SubmitFeedbackInput, now = new Date()): Promise<FeedbackRow> {
  const customerId = requireUuid('customerId', input.customerId);
  requireFeedbackAuthor(caller, customerId);
  const valid = validateFeedback(input);
  const masked = maskProfanity(valid.content);
  // Analysed before the transaction opens: an outside provider is never called while it holds locks.
  const analysis = await analyseForStorage(valid.content);
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    const row = await insertFeedback(tx, {
      customerId,
      kind: input.kind,
      content: valid.content,
      publicContent: masked.text,
      profanityFiltered: masked.filtered,
      rating: valid.rating,
      authorName: valid.authorName,
      consentToPublish: valid.consentToPublish,
      status: input.kind === 'TESTIMONIAL' ? 'PENDING_APPROVAL' : 'RECEIVED',
      submittedBy: caller.subject,
      submittedAt: now,
    });
    await storeTextAnalysis(tx, { subjectType: 'Feedback', subjectId: row.id, customerId, text: valid.content }, analysis, now);
    await addTimelineEntry(tx, events, {
      customerId,
      occurredAt: now,
      type: 'FEEDBACK',
      summary: feedbackTimelineSummary(row),
      sourceType: 'Feedback',
      sourceId: row.id,
      actor: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: FEEDBACK_SUBMITTED,
      aggregateType: 'Feedback',
      aggregateId: row.id,
      customerId,
      data: { feedbackId: row.id, customerId, kind: row.kind, rating: row.rating, status: row.status, profanityFiltered: row.profanityFiltered },
    });
    return row;
  });
}

async function requireTestimonial(db: Executor, id: string): Promise<FeedbackRow> {
  const [row] = await findFeedbackByIds(db, [id]);
  if (!row || row.kind !== 'TESTIMONIAL') throw new NotFoundError('Testimonial', id, 'TEST-001');
  return row;
}

/**
 * Approves or rejects a pending testimonial (marketing). The decision is final: a second one, whichever way, is
 * TEST-002; of concurrent decisions exactly one wins.
 */
export async function decideTestimonial(
  db: Database,
  caller: Caller,
  events: EventContext,
  id: string,
  decision: { approve: true } | { approve: false; reason: string },
  now = new Date(),
): Promise<FeedbackRow> {
  requirePrivilege(caller, Privilege.TestimonialApprove);
  const testimonialId = requireUuid('id', id);
  const reason = decision.approve ? null : requireLength('reason', decision.reason, { min: 1, max: REJECTION_REASON_MAX });
  return db.transaction(async (tx) => {
    const row = await decidePendingTestimonial(tx, testimonialId, {
      status: decision.approve ? 'APPROVED' : 'REJECTED',
      decidedBy: caller.subject,
      decidedAt: now,
      rejectionReason: reason,
    });
    if (!row) {
      // Read in the transaction: on embedded PGlite its one connection is held by it.
      const current = await requireTestimonial(tx, testimonialId);
      throw new DomainRuleError('TEST-002', `Testimonial ${testimonialId} was already ${current.status === 'APPROVED' ? 'approved' : 'rejected'}: the decision is final`, {
        status: current.status,
      });
    }
    await addTimelineEntry(tx, events, {
      customerId: row.customerId,
      occurredAt: now,
      type: 'FEEDBACK',
      summary: decision.approve ? 'Testimonial approved for publication' : `Testimonial not published: ${reason}`,
      sourceType: 'Feedback',
      sourceId: row.id,
      actor: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: decision.approve ? TESTIMONIAL_APPROVED : TESTIMONIAL_REJECTED,
      aggregateType: 'Feedback',
      aggregateId: row.id,
      customerId: row.customerId,
      data: decision.approve
        ? { feedbackId: row.id, customerId: row.customerId, rating: row.rating, decidedBy: caller.subject }
        : { feedbackId: row.id, customerId: row.customerId, reason, decidedBy: caller.subject },
    });
    return row;
  });
}

/** The customer (or staff on its behalf) withdraws consent to publish: the testimonial leaves the public list at once. */
export async function withdrawTestimonialConsent(db: Database, caller: Caller, events: EventContext, id: string, now = new Date()): Promise<FeedbackRow> {
  const testimonialId = requireUuid('id', id);
  const current = await requireTestimonial(db, testimonialId);
  requireConsentHolder(caller, current.customerId);
  return db.transaction(async (tx) => {
    const row = await withdrawConsent(tx, testimonialId, now);
    if (!row) return current; // never given, or withdrawn already: nothing changes
    await recordEvent(tx, outbox, events, {
      type: TESTIMONIAL_CONSENT_WITHDRAWN,
      aggregateType: 'Feedback',
      aggregateId: row.id,
      customerId: row.customerId,
      data: { feedbackId: row.id, customerId: row.customerId, withdrawnBy: caller.subject },
    });
    return row;
  });
}

/** What may be shown publicly: approved testimonials whose consent stands (a page of `limit + 1`, newest approval first). */
export function publishedTestimonials(db: Database, page: KeysetPage): Promise<FeedbackRow[]> {
  return findPublicTestimonials(db, page);
}
