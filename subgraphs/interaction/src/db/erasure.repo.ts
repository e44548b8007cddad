import { customerIn, ERASED_TEXT, type ErasurePlan } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { capturedMessages, meetings, messageAttachments, outboundMessages } from './delivery.schema.ts';
import { customerInsights, feedback, textAnalyses } from './feedback.schema.ts';
import { dataExportSections } from './privacy.schema.ts';
import { followUpTasks, interactions, erasedCustomers, outbox, timelineEntries, webhookDeliveries } from './schema.ts';

const messagesOf = (ids: string[]) => sql`(select ${outboundMessages.id} from ${outboundMessages} where ${customerIn(outboundMessages.customerId, ids)})`;

/**
 * What GDPR erasure changes here: every free text, address and number of the customer's communications (with the
 * sent messages, their attachments and what the embedded provider captured), meetings, follow-ups, feedback (a
 * testimonial is taken off the public wall), analyses, insights and timeline. Kept: the records themselves, with
 * their channels, dates, durations, statuses and ratings, so counts and service figures stay true.
 */
export const interactionErasurePlan: ErasurePlan = {
  subgraph: 'interaction',
  outbox,
  erasedCustomers,
  steps: [
    {
      table: interactions,
      fields: ['subject', 'summary', 'notes', 'transcript'],
      where: (ids) => customerIn(interactions.customerId, ids),
      set: sql`subject = null, summary = ${ERASED_TEXT}, notes = null, transcript = null`,
    },
    {
      table: outboundMessages,
      fields: ['recipient', 'recipient_name', 'subject', 'text_body', 'html_body', 'template_variables', 'calendar', 'last_error', 'status'],
      where: (ids) => customerIn(outboundMessages.customerId, ids),
      // A message still waiting is never sent to an erased customer (one already being sent may still go out).
      set: sql`recipient = ${ERASED_TEXT}, recipient_name = null, subject = null, text_body = null, html_body = null,
        template_variables = null, calendar = null, last_error = case when status = 'QUEUED' then 'erased (GDPR)' else null end,
        failed_at = case when status = 'QUEUED' then now() else failed_at end,
        status = case when status = 'QUEUED' then 'FAILED' else status end`,
    },
    {
      table: messageAttachments,
      fields: ['file_name', 'content'],
      where: (ids) => sql`${messageAttachments.messageId} in ${messagesOf(ids)}`,
      set: sql`file_name = ${ERASED_TEXT}, content = ''::bytea`,
    },
    {
      table: capturedMessages,
      fields: ['recipient', 'subject', 'text_body', 'raw'],
      where: (ids) => sql`${capturedMessages.messageId} in ${messagesOf(ids)}`,
      set: sql`recipient = ${ERASED_TEXT}, subject = null, text_body = null, raw = ${ERASED_TEXT}`,
    },
    {
      table: meetings,
      fields: ['title', 'description', 'location', 'virtual_link', 'attendees', 'cancel_reason'],
      where: (ids) => customerIn(meetings.customerId, ids),
      set: sql`title = ${ERASED_TEXT}, description = null, location = null, virtual_link = null, attendees = '[]'::jsonb, cancel_reason = null`,
    },
    {
      table: followUpTasks,
      fields: ['title', 'notes', 'completion_note'],
      where: (ids) => customerIn(followUpTasks.customerId, ids),
      set: sql`title = ${ERASED_TEXT}, notes = null, completion_note = null`,
    },
    {
      table: feedback,
      fields: ['content', 'public_content', 'author_name', 'rejection_reason', 'consent_to_publish'],
      where: (ids) => customerIn(feedback.customerId, ids),
      // Consent withdrawn as of the erasure: an approved testimonial leaves the public wall.
      set: sql`content = ${ERASED_TEXT}, public_content = ${ERASED_TEXT}, author_name = ${ERASED_TEXT}, rejection_reason = null,
        consent_to_publish = false, consent_withdrawn_at = coalesce(consent_withdrawn_at, now())`,
    },
    {
      table: textAnalyses,
      fields: ['key_phrases'],
      where: (ids) => customerIn(textAnalyses.customerId, ids),
      set: sql`key_phrases = '[]'::jsonb`,
    },
    {
      table: customerInsights,
      fields: ['recommended_actions', 'reasons'],
      where: (ids) => customerIn(customerInsights.customerId, ids),
      set: sql`recommended_actions = '[]'::jsonb, reasons = '[]'::jsonb`,
    },
    {
      table: timelineEntries,
      fields: ['summary'],
      where: (ids) => customerIn(timelineEntries.customerId, ids),
      set: sql`summary = ${ERASED_TEXT}`,
    },
    {
      table: webhookDeliveries,
      fields: ['payload', 'last_error'],
      where: (ids) => sql`(${webhookDeliveries.payload} ->> 'customerid') = any(${`{${ids.join(',')}}`}::text[])`,
      set: sql`payload = jsonb_build_object('id', payload -> 'id', 'type', payload -> 'type', 'erased', true), last_error = null`,
    },
    {
      // A data-subject export's copy of the records must not outlive them (the export consumer also deletes it).
      table: dataExportSections,
      fields: ['section'],
      where: (ids) => customerIn(dataExportSections.customerId, ids),
      set: sql`section = '{}'::jsonb`,
    },
  ],
  retained: [
    { table: interactions, what: 'communications with their channel, direction, date and duration', where: (ids) => customerIn(interactions.customerId, ids) },
    { table: feedback, what: 'feedback with its kind, rating and decision', where: (ids) => customerIn(feedback.customerId, ids) },
    { table: timelineEntries, what: 'timeline entries with their type, time and link', where: (ids) => customerIn(timelineEntries.customerId, ids) },
  ],
};
