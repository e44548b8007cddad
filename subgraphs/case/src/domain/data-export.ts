import { byAnyCustomer, byCustomer, byParent, dataExportConsumer, type ExportSource } from '@cmp/platform';
import {
  auditLog,
  caseAttachments,
  caseComments,
  caseHistory,
  cases,
  compensationClaims,
  dataExportSections,
  knownTiers,
  outbox,
  slaMilestones,
} from '../db/schema.ts';

const ofCases = (column: Parameters<typeof byParent>[0]) => byParent(column, cases, cases.id, cases.customerId);

/** Everything the case subgraph holds on a customer; a merged duplicate's cases were moved here already. */
const SOURCES: ExportSource[] = [
  { name: 'cases', table: cases, where: byCustomer(cases.customerId) },
  { name: 'caseHistory', table: caseHistory, where: ofCases(caseHistory.caseId) },
  { name: 'comments', table: caseComments, where: ofCases(caseComments.caseId) },
  { name: 'compensationClaims', table: compensationClaims, where: ofCases(compensationClaims.caseId) },
  { name: 'slaMilestones', table: slaMilestones, where: ofCases(slaMilestones.caseId) },
  // The files themselves stay in the blob store; `caseAttachment.downloadUrl` serves each one.
  { name: 'attachments', table: caseAttachments, where: ofCases(caseAttachments.caseId) },
  { name: 'loyaltyTiers', table: knownTiers, where: byCustomer(knownTiers.customerId) },
  // Who acted and how, without the address of the staff member's workstation (a security detail, not the customer's data).
  { name: 'auditTrail', table: auditLog, where: byAnyCustomer(auditLog.customerIds), omit: ['clientAddress'] },
  { name: 'events', table: outbox, where: byCustomer(outbox.customerId), omit: ['attempts', 'lastError'] },
];

export const caseDataExportConsumer = dataExportConsumer({ name: 'case.data-export', subgraph: 'case', sections: dataExportSections, outbox, sources: SOURCES });
