import type { Database, DataKeyRing } from '@cmp/platform';
import type { CustomerRow, NewCustomerRow } from '../db/schema.ts';
import { countPassportRows, countRowsToSeal, lockPassportRows, lockRowsToSeal, writeSealedColumns } from '../db/sensitive.repo.ts';
import { openPassportNumber, openSensitive, passportLookupHash, sealedColumns, type SensitiveValues } from './sensitive.ts';

const LEGACY_NULLS: Partial<NewCustomerRow> = {
  legacyBillingStreet: null,
  legacyBillingCity: null,
  legacyBillingState: null,
  legacyBillingZipCode: null,
  legacyShippingStreet: null,
  legacyShippingCity: null,
  legacyShippingState: null,
  legacyShippingZipCode: null,
  legacyDateOfBirth: null,
  legacyPassportNumber: null,
};

/** A row's sensitive values: its sealed ones, and for what was never sealed, the plaintext of an older release. */
function valuesOf(ring: DataKeyRing, row: CustomerRow): SensitiveValues {
  const open = openSensitive(ring, row);
  const billing = row.billingAddressEnc
    ? open
    : { billingStreet: row.legacyBillingStreet, billingCity: row.legacyBillingCity, billingState: row.legacyBillingState, billingZipCode: row.legacyBillingZipCode };
  const shipping = row.shippingAddressEnc
    ? open
    : { shippingStreet: row.legacyShippingStreet, shippingCity: row.legacyShippingCity, shippingState: row.legacyShippingState, shippingZipCode: row.legacyShippingZipCode };
  return {
    billingStreet: billing.billingStreet,
    billingCity: billing.billingCity,
    billingState: billing.billingState,
    billingZipCode: billing.billingZipCode,
    shippingStreet: shipping.shippingStreet,
    shippingCity: shipping.shippingCity,
    shippingState: shipping.shippingState,
    shippingZipCode: shipping.shippingZipCode,
    dateOfBirth: open.dateOfBirth ?? row.legacyDateOfBirth,
    passportNumber: open.passportNumber ?? row.legacyPassportNumber,
  };
}

export interface SealingProgress {
  done: number;
  total: number;
}

/**
 * Seals what is not sealed under the active key: plaintext left in the pre-encryption columns (then nulled) and,
 * unless `legacyOnly`, values sealed under an older key. Works in batches, each its own short transaction holding
 * its rows' locks, so it is safe while the platform serves and can be stopped and run again at any point.
 */
export async function sealCustomerRows(
  db: Database,
  ring: DataKeyRing,
  options: { legacyOnly?: boolean; batchSize?: number; onProgress?: (progress: SealingProgress) => void } = {},
): Promise<SealingProgress> {
  const legacyOnly = options.legacyOnly ?? false;
  const batchSize = options.batchSize ?? 500;
  const total = await countRowsToSeal(db, ring.activeKeyId, legacyOnly);
  let done = 0;
  for (;;) {
    const count = await db.transaction(async (tx) => {
      const rows = await lockRowsToSeal(tx, ring.activeKeyId, legacyOnly, batchSize);
      for (const row of rows) {
        const values = valuesOf(ring, row);
        // Every sealed column is written again (same values, same lookup hash), so none stays under an old key.
        await writeSealedColumns(tx, row.id, {
          billingAddressEnc: null,
          shippingAddressEnc: null,
          dateOfBirthEnc: null,
          passportNumberEnc: null,
          passportNumberHash: null,
          ...sealedColumns(ring, row.id, values, null),
          ...LEGACY_NULLS,
        });
      }
      return rows.length;
    });
    if (count === 0) break;
    done += count;
    options.onProgress?.({ done, total: Math.max(total, done) });
  }
  return { done, total: Math.max(total, done) };
}

export interface RehashProgress {
  /** Customers with a passport number looked at so far, of `total`. */
  checked: number;
  total: number;
  /** Lookup hashes that were not made with the current lookup key: rewritten, or only counted in a dry run. */
  stale: number;
}

/**
 * Rewrites every passport lookup hash not made with the ring's current lookup key (after a lookup key rotation), in
 * batches of short transactions holding their rows' locks: safe while the platform serves, and to run again. With
 * `dryRun` it only counts them (what `data-keys retire-lookup` checks before dropping the previous keys).
 */
export async function rehashPassportLookups(
  db: Database,
  ring: DataKeyRing,
  options: { batchSize?: number; dryRun?: boolean; onProgress?: (progress: RehashProgress) => void } = {},
): Promise<RehashProgress> {
  const batchSize = options.batchSize ?? 500;
  const progress: RehashProgress = { checked: 0, total: await countPassportRows(db), stale: 0 };
  let afterId: string | null = null;
  for (;;) {
    const rows = await db.transaction(async (tx) => {
      const batch = await lockPassportRows(tx, afterId, batchSize);
      for (const row of batch) {
        const hash = passportLookupHash(ring, openPassportNumber(ring, row.id, row.passportNumberEnc)!);
        if (hash === row.passportNumberHash) continue;
        progress.stale++;
        if (!options.dryRun) await writeSealedColumns(tx, row.id, { passportNumberHash: hash });
      }
      return batch;
    });
    if (rows.length === 0) break;
    afterId = rows.at(-1)!.id;
    progress.checked += rows.length;
    progress.total = Math.max(progress.total, progress.checked);
    options.onProgress?.({ ...progress });
  }
  return progress;
}
