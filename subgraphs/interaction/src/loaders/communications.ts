import { alignMany, loaderPerArguments, type Database } from '@cmp/platform';
import { findInteractionPages, type InteractionPage } from '../db/interactions.repo.ts';
import type { InteractionRow } from '../db/schema.ts';

export function communicationsLoaders(db: Database) {
  return {
    /** `Customer.interactions`: every customer asking for the same page in one request costs one query. */
    interactionsOfCustomer: loaderPerArguments<InteractionPage, InteractionRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findInteractionPages(db, customerIds, page), (i) => i.customerId),
    ),
  };
}
