import { byAnyCustomer, byCustomer, byParent, dataExportConsumer, type ExportSource } from '@cmp/platform';
import { auditLog, dataExportSections, invitations, knownTiers, outbox, scans } from '../db/schema.ts';

/** Everything the invitation subgraph holds on a customer; a merged duplicate's invitations were moved here already. */
const SOURCES: ExportSource[] = [
  { name: 'invitations', table: invitations, where: byCustomer(invitations.customerId) },
  { name: 'scans', table: scans, where: byParent(scans.invitationId, invitations, invitations.id, invitations.customerId) },
  { name: 'loyaltyTiers', table: knownTiers, where: byCustomer(knownTiers.customerId) },
  // Who acted and how, without the address of the staff member's workstation (a security detail, not the customer's data).
  { name: 'auditTrail', table: auditLog, where: byAnyCustomer(auditLog.customerIds), omit: ['clientAddress'] },
  { name: 'events', table: outbox, where: byCustomer(outbox.customerId), omit: ['attempts', 'lastError'] },
];

export const invitationDataExportConsumer = dataExportConsumer({
  name: 'invitation.data-export',
  subgraph: 'invitation',
  sections: dataExportSections,
  outbox,
  sources: SOURCES,
});
