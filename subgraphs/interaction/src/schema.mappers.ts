import type { FollowUpTaskRow, InteractionRow, TimelineEntryRow } from './db/schema.ts';

export type InteractionMapper = InteractionRow;
export type TimelineEntryMapper = TimelineEntryRow;
export type CustomerMapper = { id: string };
export type FollowUpTaskMapper = FollowUpTaskRow;
export type MessageMapper = import('./db/delivery.schema.ts').OutboundMessageRow;
export type EmailTemplateMapper = import('./db/delivery.schema.ts').EmailTemplateRow;
export type CapturedMessageMapper = import('./db/delivery.schema.ts').CapturedMessageRow;
export type MeetingMapper = import('./db/delivery.schema.ts').MeetingRow;
export type FeedbackMapper = import('./db/feedback.schema.ts').FeedbackRow;
export type PublicTestimonialMapper = import('./db/feedback.schema.ts').FeedbackRow;
export type TextAnalysisMapper = import('./db/feedback.schema.ts').TextAnalysisRow;
export type CustomerInsightsMapper = import('./db/feedback.schema.ts').CustomerInsightsRow;
export type CaseMapper = { id: string };

/** A GDPR erasure preview's key: the customer. */
export type ErasurePreviewMapper = { customerId: string };

/** A customer audit trail's key: the customer (its records are read per subgraph). */
export type AuditTrailMapper = { customerId: string };
