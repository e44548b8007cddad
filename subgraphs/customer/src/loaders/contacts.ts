import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findContactsByIds, findLiveContactsOfCustomers } from '../db/contacts.repo.ts';
import type { ContactRow } from '../db/schema.ts';

export function contactLoaders(db: Database) {
  return {
    contactById: new DataLoader<string, ContactRow | null>(async (ids) => alignOne(ids, await findContactsByIds(db, ids), (c) => c.id)),
    /** Live contacts per customer (the primary first), one query for every customer asking the same `tag`. */
    contactsByCustomer: loaderPerArguments<{ tag: string | null }, ContactRow[]>(async (customerIds, { tag }) =>
      alignMany(customerIds, await findLiveContactsOfCustomers(db, customerIds, tag), (c) => c.customerId),
    ),
  };
}
