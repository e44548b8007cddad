import type { Executor } from '@cmp/platform';
import { desc, inArray, sql } from 'drizzle-orm';
import { consents, devices, preferences, type ConsentRow, type DeviceRow, type PreferencesRow } from './schema.ts';

export async function upsertPreferences(
  db: Executor,
  customerId: string,
  values: Partial<Omit<PreferencesRow, 'customerId' | 'updatedAt' | 'updatedBy'>>,
  actor: string,
): Promise<PreferencesRow> {
  const [row] = await db
    .insert(preferences)
    .values({ customerId, ...values, updatedBy: actor })
    .onConflictDoUpdate({ target: preferences.customerId, set: { ...values, updatedBy: actor, updatedAt: sql`now()` } })
    .returning();
  return row!;
}

export async function findPreferences(db: Executor, customerIds: readonly string[]): Promise<PreferencesRow[]> {
  if (customerIds.length === 0) return [];
  return db.select().from(preferences).where(inArray(preferences.customerId, [...customerIds]));
}

export async function insertConsent(db: Executor, values: typeof consents.$inferInsert): Promise<ConsentRow> {
  const [row] = await db.insert(consents).values(values).returning();
  return row!;
}

/** Whole ledgers, newest first. */
export async function findConsentLedgers(db: Executor, customerIds: readonly string[]): Promise<ConsentRow[]> {
  if (customerIds.length === 0) return [];
  return db
    .select()
    .from(consents)
    .where(inArray(consents.customerId, [...customerIds]))
    .orderBy(desc(consents.recordedAt), desc(consents.id));
}

export async function upsertDevice(db: Executor, values: typeof devices.$inferInsert): Promise<DeviceRow> {
  const [row] = await db
    .insert(devices)
    .values(values)
    .onConflictDoUpdate({
      target: [devices.customerId, devices.deviceId],
      set: { platform: values.platform, appVersion: values.appVersion, pushEnabled: values.pushEnabled, lastSeenAt: sql`now()` },
    })
    .returning();
  return row!;
}

export async function findDevices(db: Executor, customerIds: readonly string[]): Promise<DeviceRow[]> {
  if (customerIds.length === 0) return [];
  return db.select().from(devices).where(inArray(devices.customerId, [...customerIds])).orderBy(desc(devices.lastSeenAt));
}
