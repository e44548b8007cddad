import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, index, jsonb, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { interactionSchema } from './schema.ts';

export const FEEDBACK_KINDS = ['COMPLIMENT', 'SUGGESTION', 'TESTIMONIAL'] as const;
/** Compliments and suggestions are RECEIVED; testimonials wait for a marketing decision, which is final. */
export const FEEDBACK_STATUSES = ['RECEIVED', 'PENDING_APPROVAL', 'APPROVED', 'REJECTED'] as const;
export const SENTIMENT_LABELS = ['POSITIVE', 'NEUTRAL', 'NEGATIVE'] as const;
export const ENGAGEMENT_LEVELS = ['HIGH', 'MEDIUM', 'LOW', 'NONE'] as const;
export const CHURN_RISKS = ['LOW', 'MEDIUM', 'HIGH'] as const;

/** Compliments, suggestions and testimonials; `content` is the original (staff only), `public_content` the filtered text. */
export const feedback = interactionSchema.table(
  'feedback',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    kind: text('kind', { enum: FEEDBACK_KINDS }).notNull(),
    content: text('content').notNull(),
    publicContent: text('public_content').notNull(),
    profanityFiltered: boolean('profanity_filtered').notNull(),
    rating: smallint('rating'),
    authorName: text('author_name').notNull(),
    /** The customer's consent to publication as given with the testimonial; withdrawal is recorded, not erased. */
    consentToPublish: boolean('consent_to_publish').notNull().default(false),
    consentWithdrawnAt: timestamp('consent_withdrawn_at', { withTimezone: true }),
    status: text('status', { enum: FEEDBACK_STATUSES }).notNull(),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    rejectionReason: text('rejection_reason'),
    submittedBy: text('submitted_by').notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('feedback_customer_idx').on(t.customerId, t.submittedAt.desc(), t.id.desc()),
    // The public wall reads approved testimonials newest decision first.
    index('feedback_public_idx').on(t.decidedAt.desc(), t.id.desc()).where(sql`${t.status} = 'APPROVED'`),
    check('feedback_rating_range', sql`${t.rating} is null or ${t.rating} between 1 and 5`),
  ],
);

export type FeedbackRow = typeof feedback.$inferSelect;
export type NewFeedback = typeof feedback.$inferInsert;

/** Sentiment and key phrases of one free text (an interaction, a feedback, a case description), once per subject. */
export const textAnalyses = interactionSchema.table(
  'text_analyses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    label: text('label', { enum: SENTIMENT_LABELS }).notNull(),
    score: doublePrecision('score').notNull(),
    keyPhrases: jsonb('key_phrases').$type<string[]>().notNull(),
    language: text('language').notNull(),
    /** Which provider answered: LOCAL, or the external service's name. */
    provider: text('provider').notNull(),
    analysedAt: timestamp('analysed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('text_analyses_subject_key').on(t.subjectType, t.subjectId),
    index('text_analyses_customer_idx').on(t.customerId, t.analysedAt.desc(), t.id.desc()),
  ],
);

export type TextAnalysisRow = typeof textAnalyses.$inferSelect;

/** The latest rule-based insights per customer, with the counts they were computed from. */
export const customerInsights = interactionSchema.table('customer_insights', {
  customerId: uuid('customer_id').primaryKey(),
  engagementLevel: text('engagement_level', { enum: ENGAGEMENT_LEVELS }).notNull(),
  churnRisk: text('churn_risk', { enum: CHURN_RISKS }).notNull(),
  churnScore: doublePrecision('churn_score').notNull(),
  recommendedActions: jsonb('recommended_actions').$type<string[]>().notNull(),
  reasons: jsonb('reasons').$type<string[]>().notNull(),
  facts: jsonb('facts').$type<Record<string, number>>().notNull(),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull(),
  /**
   * Something counted changed since (an entry on the timeline, an analysed text): the next read recomputes. Writers
   * only set this, in the statement that changes what is counted, so a stream of events costs no recount each.
   */
  stale: boolean('stale').notNull().default(false),
});

export type CustomerInsightsRow = typeof customerInsights.$inferSelect;
