import { byAnyCustomer, byCustomer, byParent, dataExportConsumer, type ExportSource } from '@cmp/platform';
import { capturedMessages, meetings, messageAttachments, outboundMessages } from '../db/delivery.schema.ts';
import { customerInsights, feedback, textAnalyses } from '../db/feedback.schema.ts';
import { dataExportSections, marketingConsents } from '../db/privacy.schema.ts';
import { auditLog, followUpTasks, interactions, outbox, timelineEntries } from '../db/schema.ts';

/** Everything the interaction subgraph holds on a customer; records of merged duplicates were moved here already. */
const SOURCES: ExportSource[] = [
  { name: 'interactions', table: interactions, where: byCustomer(interactions.customerId) },
  { name: 'timeline', table: timelineEntries, where: byCustomer(timelineEntries.customerId) },
  { name: 'followUpTasks', table: followUpTasks, where: byCustomer(followUpTasks.customerId) },
  { name: 'feedback', table: feedback, where: byCustomer(feedback.customerId) },
  { name: 'textAnalyses', table: textAnalyses, where: byCustomer(textAnalyses.customerId) },
  { name: 'insights', table: customerInsights, where: byCustomer(customerInsights.customerId) },
  { name: 'messages', table: outboundMessages, where: byCustomer(outboundMessages.customerId) },
  {
    name: 'messageAttachments',
    table: messageAttachments,
    where: byParent(messageAttachments.messageId, outboundMessages, outboundMessages.id, outboundMessages.customerId),
  },
  {
    name: 'capturedMessages',
    table: capturedMessages,
    where: byParent(capturedMessages.messageId, outboundMessages, outboundMessages.id, outboundMessages.customerId),
  },
  { name: 'meetings', table: meetings, where: byCustomer(meetings.customerId) },
  { name: 'marketingConsents', table: marketingConsents, where: byCustomer(marketingConsents.customerId) },
  // Who acted and how, without the address of the staff member's workstation (a security detail, not the customer's data).
  { name: 'auditTrail', table: auditLog, where: byAnyCustomer(auditLog.customerIds), omit: ['clientAddress'] },
  { name: 'events', table: outbox, where: byCustomer(outbox.customerId), omit: ['attempts', 'lastError'] },
];

export const interactionDataExportConsumer = dataExportConsumer({
  name: 'interaction.data-export',
  subgraph: 'interaction',
  sections: dataExportSections,
  outbox,
  sources: SOURCES,
});
