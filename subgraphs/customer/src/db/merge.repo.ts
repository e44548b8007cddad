import type { Executor } from '@cmp/platform';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { activity, consents, devices, preferences, purchases, trips } from './schema.ts';

/**
 * Moves a merged customer's purchases, travel, consent ledger, devices, preferences and activity counters to the
 * target. The consent ledger moves whole (the latest statement per purpose stays in force); the target's own
 * preferences win over the duplicate's; a device both records know is kept once.
 */
export async function moveCustomerRecords(tx: Executor, from: string, to: string) {
  const movedPurchases = await tx.update(purchases).set({ customerId: to }).where(eq(purchases.customerId, from)).returning({ id: purchases.id });
  const movedTrips = await tx.update(trips).set({ customerId: to }).where(eq(trips.customerId, from)).returning({ id: trips.id });
  const movedConsents = await tx.update(consents).set({ customerId: to }).where(eq(consents.customerId, from)).returning({ id: consents.id });
  const known = tx.select({ deviceId: devices.deviceId }).from(devices).where(eq(devices.customerId, to));
  await tx.delete(devices).where(and(eq(devices.customerId, from), inArray(devices.deviceId, known)));
  const movedDevices = await tx.update(devices).set({ customerId: to }).where(eq(devices.customerId, from)).returning({ id: devices.id });
  const [targetPreferences] = await tx.select({ id: preferences.customerId }).from(preferences).where(eq(preferences.customerId, to));
  if (targetPreferences) await tx.delete(preferences).where(eq(preferences.customerId, from));
  else await tx.update(preferences).set({ customerId: to }).where(eq(preferences.customerId, from));
  const [counts] = await tx.delete(activity).where(eq(activity.customerId, from)).returning();
  if (counts) {
    await tx
      .insert(activity)
      .values({ ...counts, customerId: to })
      .onConflictDoUpdate({
        target: activity.customerId,
        set: {
          complaints: sql`${activity.complaints} + excluded.complaints`,
          eventsAttended: sql`${activity.eventsAttended} + excluded.events_attended`,
          testimonials: sql`${activity.testimonials} + excluded.testimonials`,
          updatedAt: sql`now()`,
        },
      });
  }
  return {
    purchases: movedPurchases.length,
    trips: movedTrips.length,
    consents: movedConsents.length,
    devices: movedDevices.length,
  };
}
