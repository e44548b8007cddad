import { customerIn, ERASED_TEXT, type ErasurePlan } from '@cmp/platform';
import { sql } from 'drizzle-orm';
import { accounts, dataExportSections, ledgerEntries, erasedCustomers, outbox, tierHistory } from './schema.ts';

const accountsOf = (ids: string[]) => sql`(select ${accounts.id} from ${accounts} where ${customerIn(accounts.customerId, ids)})`;

/**
 * What GDPR erasure changes here: the free text of ledger entries and tier changes. Kept as numbers: the account
 * with its member number, tier and balances, every ledger entry's Avios, Elite Points and flights, and the tier
 * history, so balances still add up.
 */
export const loyaltyErasurePlan: ErasurePlan = {
  subgraph: 'loyalty',
  outbox,
  erasedCustomers,
  steps: [
    {
      table: ledgerEntries,
      fields: ['description'],
      where: (ids) => sql`${ledgerEntries.accountId} in ${accountsOf(ids)}`,
      set: sql`description = ${ERASED_TEXT}`,
    },
    {
      table: tierHistory,
      fields: ['reason'],
      where: (ids) => sql`${tierHistory.accountId} in ${accountsOf(ids)}`,
      set: sql`reason = ${ERASED_TEXT}`,
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
    { table: accounts, what: 'the loyalty account with its tier and balances', where: (ids) => customerIn(accounts.customerId, ids) },
    { table: ledgerEntries, what: 'points ledger entries as numbers', where: (ids) => sql`${ledgerEntries.accountId} in ${accountsOf(ids)}` },
    { table: tierHistory, what: 'tier changes', where: (ids) => sql`${tierHistory.accountId} in ${accountsOf(ids)}` },
  ],
};
