import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findCustomersByIds } from '../db/customers.repo.ts';
import { findHistory, type HistoryAttribute } from '../db/history.repo.ts';
import { findConsentLedgers, findDevices, findPreferences } from '../db/preferences.repo.ts';
import type { ConsentRow, CustomerHistoryRow, CustomerRow, DeviceRow, PreferencesRow } from '../db/schema.ts';

export function customerLoaders(db: Database) {
  return {
    customerById: new DataLoader<string, CustomerRow | null>(async (ids) =>
      alignOne(ids, await findCustomersByIds(db, ids), (c) => c.id),
    ),
    preferencesByCustomer: new DataLoader<string, PreferencesRow | null>(async (ids) =>
      alignOne(ids, await findPreferences(db, ids), (p) => p.customerId),
    ),
    consentLedgerByCustomer: new DataLoader<string, ConsentRow[]>(async (ids) =>
      alignMany(ids, await findConsentLedgers(db, ids), (c) => c.customerId),
    ),
    devicesByCustomer: new DataLoader<string, DeviceRow[]>(async (ids) =>
      alignMany(ids, await findDevices(db, ids), (d) => d.customerId),
    ),
    historyByCustomer: loaderPerArguments<{ attributes: HistoryAttribute[] | null; first: number }, CustomerHistoryRow[]>(
      async (ids, { attributes, first }) => alignMany(ids, await findHistory(db, ids, attributes, first), (h) => h.customerId),
    ),
  };
}
