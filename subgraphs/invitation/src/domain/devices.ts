import { BadUserInputError, ForbiddenError, NotFoundError, requireLength, type Caller, type Executor } from '@cmp/platform';
import { asc, eq, inArray } from 'drizzle-orm';
import { loungeDevices, lounges, type LoungeDeviceRow } from '../db/schema.ts';

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9:._-]{2,99}$/;

/**
 * The door scanners. A LoungeDevice token's subject is its device id; a device seen for the first time with a valid
 * token is enrolled to the token's lounge, and from then on it may only scan there, and not at all once disabled.
 * Lookups are cached per process for `ttlMs`, so a scan costs no extra query; a disable reaches every replica
 * within that time.
 */
export class DeviceRegistry {
  private readonly cache = new Map<string, { device: LoungeDeviceRow; until: number }>();

  constructor(private readonly ttlMs = 5_000) {}

  async admit(db: Executor, caller: Caller, now = Date.now()): Promise<LoungeDeviceRow> {
    const loungeCode = caller.loungeCode;
    if (!loungeCode) throw new ForbiddenError('Only a lounge device token names the lounge a scan is for');
    const cached = this.cache.get(caller.subject);
    const device = cached && cached.until > now ? cached.device : await this.load(db, caller.subject, loungeCode);
    if (device !== cached?.device) this.cache.set(caller.subject, { device, until: now + this.ttlMs });
    if (!device.enabled) throw new ForbiddenError(`Lounge device ${device.id} is disabled`);
    if (device.loungeCode !== loungeCode) {
      throw new ForbiddenError(`Lounge device ${device.id} is registered to ${device.loungeCode}, not ${loungeCode}`);
    }
    return device;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  private async load(db: Executor, id: string, loungeCode: string): Promise<LoungeDeviceRow> {
    const [found] = await db.select().from(loungeDevices).where(eq(loungeDevices.id, id));
    if (found) return found;
    const [lounge] = await db.select({ code: lounges.code }).from(lounges).where(eq(lounges.code, loungeCode));
    if (!lounge) throw new ForbiddenError(`The token's lounge ${loungeCode} is not a known lounge`);
    await db.insert(loungeDevices).values({ id, loungeCode, name: id, registeredBy: 'first-scan' }).onConflictDoNothing();
    const [enrolled] = await db.select().from(loungeDevices).where(eq(loungeDevices.id, id));
    return enrolled!;
  }
}

export interface RegisterDeviceInput {
  id: string;
  loungeCode: string;
  name: string;
}

export async function registerDevice(db: Executor, caller: Caller, input: RegisterDeviceInput): Promise<LoungeDeviceRow> {
  const id = input.id.trim();
  if (!DEVICE_ID.test(id)) throw new BadUserInputError('id', 'must be 3-100 letters, digits or : . _ - (the device token subject)');
  const name = requireLength('name', input.name, { min: 1, max: 100 });
  const loungeCode = input.loungeCode.trim().toUpperCase();
  const [lounge] = await db.select({ code: lounges.code }).from(lounges).where(eq(lounges.code, loungeCode));
  if (!lounge) throw new BadUserInputError('loungeCode', 'is not a known lounge');
  const [row] = await db.insert(loungeDevices).values({ id, loungeCode, name, registeredBy: caller.subject }).onConflictDoNothing().returning();
  if (row) return row;
  const [existing] = await db.select().from(loungeDevices).where(eq(loungeDevices.id, id));
  if (existing!.loungeCode !== loungeCode) {
    throw new BadUserInputError('id', `device ${id} is already registered to ${existing!.loungeCode}`);
  }
  const [renamed] = await db.update(loungeDevices).set({ name }).where(eq(loungeDevices.id, id)).returning();
  return renamed!;
}

export async function setDeviceEnabled(
  db: Executor,
  caller: Caller,
  id: string,
  enabled: boolean,
  reason: string | null,
): Promise<LoungeDeviceRow> {
  const [row] = await db
    .update(loungeDevices)
    .set(
      enabled
        ? { enabled, disabledAt: null, disabledBy: null, disabledReason: null }
        : { enabled, disabledAt: new Date(), disabledBy: caller.subject, disabledReason: requireLength('reason', reason ?? '', { min: 3, max: 500 }) },
    )
    .where(eq(loungeDevices.id, id))
    .returning();
  if (!row) throw new NotFoundError('LoungeDevice', id);
  return row;
}

export function findDevicesOfLounges(db: Executor, loungeCodes: readonly string[]): Promise<LoungeDeviceRow[]> {
  return db
    .select()
    .from(loungeDevices)
    .where(inArray(loungeDevices.loungeCode, [...loungeCodes]))
    .orderBy(asc(loungeDevices.id));
}
