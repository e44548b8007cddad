import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { asc, desc, inArray } from 'drizzle-orm';
import { findInvitationsByIds, findInvitationsOfCustomers, findLoungesByCodes } from './db/invitations.repo.ts';
import { scans, type InvitationRow, type InvitationStatus, type LoungeDeviceRow, type LoungeRow, type ScanRow } from './db/schema.ts';
import { findDevicesOfLounges } from './domain/devices.ts';
import { occupancyOf, type Occupancy } from './domain/lounge-activity.ts';
import { invitationRuntime } from './runtime.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  const loungeByCode = new DataLoader<string, LoungeRow | null>(async (codes) =>
    alignOne(codes, await findLoungesByCodes(db, codes), (l) => l.code),
  );
  return {
    invitationById: new DataLoader<string, InvitationRow | null>(async (ids) =>
      alignOne(ids, await findInvitationsByIds(db, ids), (i) => i.id),
    ),
    loungeByCode,
    invitationsOfCustomer: loaderPerArguments<InvitationStatus[] | null, InvitationRow[]>(async (customerIds, statuses) =>
      alignMany(customerIds, await findInvitationsOfCustomers(db, customerIds, statuses), (i) => i.customerId),
    ),
    scanById: new DataLoader<string, ScanRow | null>(async (ids) =>
      alignOne(ids, await db.select().from(scans).where(inArray(scans.id, [...ids])), (s) => s.id),
    ),
    scansOfInvitation: new DataLoader<string, ScanRow[]>(async (ids) =>
      alignMany(
        ids,
        await db.select().from(scans).where(inArray(scans.invitationId, [...ids])).orderBy(desc(scans.scannedAt), asc(scans.id)),
        (s) => s.invitationId,
      ),
    ),
    devicesOfLounge: new DataLoader<string, LoungeDeviceRow[]>(async (codes) =>
      alignMany(codes, await findDevicesOfLounges(db, codes), (d) => d.loungeCode),
    ),
    occupancyOfLounge: new DataLoader<string, Occupancy>(async (codes) => {
      const rows = (await loungeByCode.loadMany(codes)).filter((l): l is LoungeRow => !!l && !(l instanceof Error));
      return alignOne(codes, await occupancyOf(db, rows, invitationRuntime().loungeDwellMinutes), (o) => o.loungeCode) as Occupancy[];
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
