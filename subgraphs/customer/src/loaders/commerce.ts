import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findPurchasePages, findPurchasesByIds, findTripPages, type ListPage } from '../db/commerce.repo.ts';
import type { PurchaseRow, TripRow } from '../db/schema.ts';

export function commerceLoaders(db: Database) {
  return {
    purchaseById: new DataLoader<string, PurchaseRow | null>(async (ids) => alignOne(ids, await findPurchasesByIds(db, ids), (p) => p.id)),
    /** A page of each customer's purchases (`limit + 1` rows), every customer asking the same page in one query. */
    purchasesOfCustomer: loaderPerArguments<ListPage, PurchaseRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findPurchasePages(db, customerIds, page), (p) => p.customerId),
    ),
    tripsOfCustomer: loaderPerArguments<ListPage, TripRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findTripPages(db, customerIds, page), (t) => t.customerId),
    ),
  };
}
