import { byAnyCustomer, byCustomer, byParent, dataExportConsumer, type ExportSource } from '@cmp/platform';
import { accounts, auditLog, dataExportSections, ledgerEntries, outbox, tierHistory } from '../db/schema.ts';

const ofAccounts = (column: Parameters<typeof byParent>[0]) => byParent(column, accounts, accounts.id, accounts.customerId);

/** Everything the loyalty subgraph holds on a customer, the (emptied) accounts of merged duplicates included. */
const SOURCES: ExportSource[] = [
  { name: 'accounts', table: accounts, where: byCustomer(accounts.customerId) },
  { name: 'tierHistory', table: tierHistory, where: ofAccounts(tierHistory.accountId) },
  { name: 'ledger', table: ledgerEntries, where: ofAccounts(ledgerEntries.accountId) },
  // Who acted and how, without the address of the staff member's workstation (a security detail, not the customer's data).
  { name: 'auditTrail', table: auditLog, where: byAnyCustomer(auditLog.customerIds), omit: ['clientAddress'] },
  { name: 'events', table: outbox, where: byCustomer(outbox.customerId), omit: ['attempts', 'lastError'] },
];

export const loyaltyDataExportConsumer = dataExportConsumer({
  name: 'loyalty.data-export',
  subgraph: 'loyalty',
  sections: dataExportSections,
  outbox,
  sources: SOURCES,
});
