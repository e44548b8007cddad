import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findInvitationsByIds, findInvitationsOfCustomers, findLoungesByCodes } from './db/invitations.repo.ts';
import type { InvitationRow, InvitationStatus, LoungeRow } from './db/schema.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    invitationById: new DataLoader<string, InvitationRow | null>(async (ids) =>
      alignOne(ids, await findInvitationsByIds(db, ids), (i) => i.id),
    ),
    loungeByCode: new DataLoader<string, LoungeRow | null>(async (codes) =>
      alignOne(codes, await findLoungesByCodes(db, codes), (l) => l.code),
    ),
    invitationsOfCustomer: loaderPerArguments<InvitationStatus[] | null, InvitationRow[]>(async (customerIds, statuses) =>
      alignMany(customerIds, await findInvitationsOfCustomers(db, customerIds, statuses), (i) => i.customerId),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
