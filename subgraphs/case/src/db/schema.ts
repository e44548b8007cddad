import { defineAuditLog, defineDataExportSections, defineKnownTiers, defineErasedCustomers, defineOutbox } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { CASE_CATEGORIES, CASE_PRIORITIES, CASE_STATUSES } from '../domain/rules.ts';

export const caseSchema = pgSchema('case');

export const cases = caseSchema.table(
  'cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseNumber: text('case_number').notNull(),
    customerId: uuid('customer_id').notNull(),
    subject: text('subject').notNull(),
    description: text('description').notNull(),
    category: text('category', { enum: CASE_CATEGORIES }).notNull(),
    priority: text('priority', { enum: CASE_PRIORITIES }).notNull(),
    status: text('status', { enum: CASE_STATUSES }).notNull().default('NEW'),
    openedBy: text('opened_by').notNull(),
    openedVia: text('opened_via', { enum: ['AGENT', 'SELF_SERVICE'] }).notNull(),
    resolution: text('resolution'),
    customerSatisfied: boolean('customer_satisfied'),
    compensationOfferedMinor: integer('compensation_offered_minor'),
    compensationCurrency: text('compensation_currency'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** Minutes from opening to the (latest) resolution. */
    resolutionMinutes: integer('resolution_minutes'),
    /** Set once by the escalation scheduler: a case is escalated automatically at most once. */
    autoEscalatedAt: timestamp('auto_escalated_at', { withTimezone: true }),
    /** The customer's language for the case (BCP 47, e.g. es), used by routing. */
    language: text('language'),
    /** The customer's loyalty tier when the case was opened, used by routing. */
    customerTier: text('customer_tier'),
    queueCode: text('queue_code'),
    /** The agent (token subject) working the case; null while it waits in its queue. */
    assignee: text('assignee'),
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cases_case_number_key').on(t.caseNumber),
    index('cases_customer_idx').on(t.customerId, t.createdAt),
    index('cases_open_idx').on(t.status, t.priority, t.createdAt),
    index('cases_assignee_idx').on(t.assignee, t.status),
    index('cases_queue_idx').on(t.queueCode, t.status),
    // The escalation scheduler's scan: open cases never escalated automatically, oldest first.
    index('cases_escalation_due_idx').on(t.createdAt).where(sql`${t.status} in ('NEW', 'IN_PROGRESS') and ${t.autoEscalatedAt} is null`),
    check('cases_compensation_check', sql`(${t.compensationOfferedMinor} is null) = (${t.compensationCurrency} is null) and coalesce(${t.compensationOfferedMinor}, 0) >= 0`),
  ],
);

/** One row per UTC day: the last case number handed out that day. */
export const caseNumberCounters = caseSchema.table('case_number_counters', {
  day: date('day').primaryKey(),
  last: integer('last').notNull(),
});

export const caseHistory = caseSchema.table(
  'case_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    fromStatus: text('from_status', { enum: CASE_STATUSES }),
    toStatus: text('to_status', { enum: CASE_STATUSES }).notNull(),
    note: text('note').notNull(),
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('case_history_case_idx').on(t.caseId, t.at)],
);

/** Notes on a case by agents (internal ones hidden from the customer) and by the customer. */
export const caseComments = caseSchema.table(
  'case_comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    author: text('author').notNull(),
    body: text('body').notNull(),
    internal: boolean('internal').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('case_comments_case_idx').on(t.caseId, t.createdAt)],
);

export const CLAIM_STATUSES = ['NOT_ELIGIBLE', 'PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'PAID'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** A passenger's compensation claim on a case: the engine's decision, the approval and the payment. */
export const compensationClaims = caseSchema.table(
  'compensation_claims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** The disruption as filed (CompensationInput). */
    input: jsonb('input').$type<Record<string, unknown>>().notNull(),
    /** The engine's decision, trace included, as it stood when filed. */
    decision: jsonb('decision').$type<Record<string, unknown>>().notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: CLAIM_STATUSES }).notNull(),
    filedBy: text('filed_by').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionNote: text('decision_note'),
    paymentReference: text('payment_reference'),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One claim per case; a new disruption is a new case.
    uniqueIndex('compensation_claims_case_key').on(t.caseId),
    index('compensation_claims_status_idx').on(t.status, t.createdAt),
    check('compensation_claims_amount_check', sql`${t.amountMinor} >= 0`),
  ],
);

export const ROUTING_STRATEGIES = ['ROUND_ROBIN', 'LEAST_LOADED'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Work queues; within one, cases go to its agents round-robin or to the least loaded. */
export const queues = caseSchema.table('queues', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  strategy: text('strategy', { enum: ROUTING_STRATEGIES }).notNull(),
  /** Round-robin position: the agent who got the last case. */
  lastAssignedAgent: text('last_assigned_agent'),
});

/** Agents who work cases, by token subject, with how many open cases they take at most. */
export const agents = caseSchema.table(
  'agents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    capacity: integer('capacity').notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [check('agents_capacity_check', sql`${t.capacity} between 1 and 500`)],
);

export const queueMembers = caseSchema.table(
  'queue_members',
  {
    queueCode: text('queue_code')
      .notNull()
      .references(() => queues.code),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
  },
  (t) => [primaryKey({ columns: [t.queueCode, t.agentId] })],
);

/** Ordered assignment rules: the first whose every given condition matches routes the case to its queue. */
export const routingRules = caseSchema.table(
  'routing_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    position: integer('position').notNull(),
    queueCode: text('queue_code')
      .notNull()
      .references(() => queues.code),
    category: text('category'),
    priority: text('priority'),
    language: text('language'),
    tier: text('tier'),
  },
  (t) => [uniqueIndex('routing_rules_position_key').on(t.position)],
);

/** Each member's loyalty tier, from loyalty's events: routing by tier without asking loyalty. */
export const knownTiers = defineKnownTiers(caseSchema);

/**
 * Service levels per priority (the entitlement): minutes to the first response and to resolution, counted on the
 * clock or in the business hours of a calendar, with a warning when a share of the time has gone.
 */
export const slaPolicies = caseSchema.table('sla_policies', {
  priority: text('priority').primaryKey(),
  firstResponseMinutes: integer('first_response_minutes').notNull(),
  resolutionMinutes: integer('resolution_minutes').notNull(),
  /** Warn when this share (percent) of the time has gone. */
  warnPercent: integer('warn_percent').notNull().default(80),
  /** Null: round the clock. Else business hours as `Europe/Madrid 1-5 09:00-18:00` (zone, ISO weekdays, hours). */
  calendar: text('calendar'),
});

export const MILESTONE_KINDS = ['FIRST_RESPONSE', 'RESOLUTION'] as const;
export const MILESTONE_STATUSES = ['PENDING', 'MET', 'MISSED'] as const;

export const slaMilestones = caseSchema.table(
  'sla_milestones',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    kind: text('kind', { enum: MILESTONE_KINDS }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    warnAt: timestamp('warn_at', { withTimezone: true }).notNull(),
    status: text('status', { enum: MILESTONE_STATUSES }).notNull().default('PENDING'),
    metAt: timestamp('met_at', { withTimezone: true }),
    warnedAt: timestamp('warned_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.kind] }),
    index('sla_milestones_pending_idx').on(t.warnAt).where(sql`${t.status} = 'PENDING'`),
  ],
);

export type SlaPolicyRow = typeof slaPolicies.$inferSelect;
export type SlaMilestoneRow = typeof slaMilestones.$inferSelect;

export const ATTACHMENT_STATUSES = ['PENDING', 'AVAILABLE'] as const;

/** Files on a case: PENDING from the upload link until the upload is confirmed, then AVAILABLE. */
export const caseAttachments = caseSchema.table(
  'case_attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    /** `<caseId>/<attachmentId>` in the blob store. */
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: ATTACHMENT_STATUSES }).notNull().default('PENDING'),
    uploadedBy: text('uploaded_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('case_attachments_case_idx').on(t.caseId, t.createdAt), check('case_attachments_size_check', sql`${t.sizeBytes} > 0`)],
);

export type CaseAttachmentRow = typeof caseAttachments.$inferSelect;

export type CaseRow = typeof cases.$inferSelect;
export type QueueRow = typeof queues.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;
export type RoutingRuleRow = typeof routingRules.$inferSelect;
export type CompensationClaimRow = typeof compensationClaims.$inferSelect;
export type CaseCommentRow = typeof caseComments.$inferSelect;
export type CaseHistoryRow = typeof caseHistory.$inferSelect;

export const outbox = defineOutbox(caseSchema);

/** Customers erased here: nothing new is recorded for them. */
export const erasedCustomers = defineErasedCustomers(caseSchema);

/** Append-only audit trail of this subgraph's mutations and sensitive reads. */
export const auditLog = defineAuditLog(caseSchema);

/** This subgraph's section of each GDPR data-subject export. */
export const dataExportSections = defineDataExportSections(caseSchema);
