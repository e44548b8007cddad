import { bytea } from '@cmp/platform';
import { boolean, index, integer, jsonb, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { interactionSchema } from './schema.ts';

export const MESSAGE_CHANNELS = ['EMAIL', 'SMS'] as const;
export const MESSAGE_STATUSES = ['QUEUED', 'SENDING', 'SENT', 'DELIVERED', 'BOUNCED', 'FAILED'] as const;
export const SMS_ENCODINGS = ['GSM_7', 'UCS_2'] as const;
export const CALENDAR_METHODS = ['REQUEST', 'CANCEL'] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type SmsEncoding = (typeof SMS_ENCODINGS)[number];
export type CalendarMethod = (typeof CALENDAR_METHODS)[number];
/** SERVICE: operational (flight changes, case replies); MARKETING: only with the customer's consent for the channel. */
export const MESSAGE_PURPOSES = ['SERVICE', 'MARKETING'] as const;
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number];

/**
 * Every e-mail and SMS sent to a customer. The row is written with the Interaction in one transaction and the
 * dispatcher sends it later, so a message is never lost between the request and the provider.
 */
export const outboundMessages = interactionSchema.table(
  'outbound_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    channel: text('channel', { enum: MESSAGE_CHANNELS }).notNull(),
    purpose: text('purpose', { enum: MESSAGE_PURPOSES }).notNull().default('SERVICE'),
    customerId: uuid('customer_id').notNull(),
    interactionId: uuid('interaction_id').notNull(),
    /** An e-mail address or an E.164 number. */
    recipient: text('recipient').notNull(),
    recipientName: text('recipient_name'),
    subject: text('subject'),
    /** The e-mail's text part or the SMS body. */
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    /** SMS only: parts the provider bills and the alphabet they are encoded in. */
    segments: integer('segments'),
    encoding: text('encoding', { enum: SMS_ENCODINGS }),
    templateCode: text('template_code'),
    templateVariables: jsonb('template_variables').$type<Record<string, string>>(),
    /** A meeting invitation: the iCalendar object sent as the text/calendar alternative and as invite.ics. */
    calendarMethod: text('calendar_method', { enum: CALENDAR_METHODS }),
    calendar: text('calendar'),
    meetingId: uuid('meeting_id'),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull().default('QUEUED'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** While SENDING: when another dispatcher may take the message over (its sender is presumed dead). */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    providerMessageId: text('provider_message_id'),
    sentBy: text('sent_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    bouncedAt: timestamp('bounced_at', { withTimezone: true }),
    failedAt: timestamp('failed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('outbound_messages_due_idx').on(t.status, t.nextAttemptAt),
    index('outbound_messages_customer_idx').on(t.customerId, t.createdAt.desc(), t.id.desc()),
    index('outbound_messages_interaction_idx').on(t.interactionId),
    index('outbound_messages_provider_idx').on(t.channel, t.providerMessageId),
  ],
);

export const messageAttachments = interactionSchema.table(
  'message_attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => outboundMessages.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    content: bytea('content').notNull(),
  },
  (t) => [uniqueIndex('message_attachments_position_key').on(t.messageId, t.position)],
);

/** Reusable e-mails with `{{variable}}` placeholders; defining a code again replaces it and bumps the version. */
export const emailTemplates = interactionSchema.table('email_templates', {
  code: text('code').primaryKey(),
  subject: text('subject').notNull(),
  textBody: text('text_body'),
  htmlBody: text('html_body'),
  requiredVariables: jsonb('required_variables').$type<string[]>().notNull(),
  version: integer('version').notNull().default(1),
  definedBy: text('defined_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Numbers that texted STOP: refused for every later SMS until they text START. */
export const smsOptOuts = interactionSchema.table('sms_opt_outs', {
  phoneNumber: text('phone_number').primaryKey(),
  optedOutAt: timestamp('opted_out_at', { withTimezone: true }).notNull().defaultNow(),
  /** How it arrived, e.g. `SMS:STOP` or the provider's keyword. */
  source: text('source').notNull(),
});

/** Embedded mode: what would have gone to the SMTP server or the SMS provider, for a developer to read. */
export const capturedMessages = interactionSchema.table(
  'captured_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    messageId: uuid('message_id').notNull(),
    channel: text('channel', { enum: MESSAGE_CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject'),
    textBody: text('text_body'),
    /** E-mail: the complete RFC 5322 message as the SMTP server would have received it. SMS: the provider request. */
    raw: text('raw').notNull(),
    capturedAt: timestamp('captured_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('captured_messages_time_idx').on(t.capturedAt.desc(), t.id.desc())],
);

export interface MeetingAttendee {
  name: string;
  email: string;
}

export const MEETING_STATUSES = ['SCHEDULED', 'CANCELLED'] as const;

export const meetings = interactionSchema.table(
  'meetings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id').notNull(),
    interactionId: uuid('interaction_id').notNull(),
    title: text('title').notNull(),
    description: text('description'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    inPerson: boolean('in_person').notNull(),
    location: text('location'),
    virtualLink: text('virtual_link'),
    attendees: jsonb('attendees').$type<MeetingAttendee[]>().notNull(),
    /** The iCalendar UID: every update and the cancellation refer to it. */
    uid: text('uid').notNull(),
    sequence: integer('sequence').notNull().default(0),
    organizer: text('organizer').notNull(),
    status: text('status', { enum: MEETING_STATUSES }).notNull().default('SCHEDULED'),
    scheduledBy: text('scheduled_by').notNull(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    cancelReason: text('cancel_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('meetings_uid_key').on(t.uid), index('meetings_customer_idx').on(t.customerId, t.startsAt)],
);

export type OutboundMessageRow = typeof outboundMessages.$inferSelect;
export type NewOutboundMessage = typeof outboundMessages.$inferInsert;
export type MessageAttachmentRow = typeof messageAttachments.$inferSelect;
export type EmailTemplateRow = typeof emailTemplates.$inferSelect;
export type SmsOptOutRow = typeof smsOptOuts.$inferSelect;
export type CapturedMessageRow = typeof capturedMessages.$inferSelect;
export type MeetingRow = typeof meetings.$inferSelect;
