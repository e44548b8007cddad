import {
  BadUserInputError,
  ForbiddenError,
  Privilege,
  canAccessCustomer,
  recordEvent,
  requireLength,
  type Caller,
  type Database,
  type EventContext,
} from '@cmp/platform';
import { insertConsent, upsertDevice, upsertPreferences } from '../db/preferences.repo.ts';
import { outbox, type ConsentRow, type DeviceRow, type PreferencesRow } from '../db/schema.ts';
import { requireLiveCustomer } from './guards.ts';

export const NOTIFICATION_KINDS = ['FLIGHT_UPDATES', 'CHECK_IN_REMINDERS', 'LOYALTY', 'CASE_UPDATES', 'LOUNGE', 'OFFERS'] as const;
type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Defaults for a customer who never chose: operational messages on, offers off (marketing is opt-in only, and an
 * OFFERS switch alone never allows a marketing send: that needs the matching consent in the ledger).
 */
export const DEFAULT_NOTIFICATIONS: Record<NotificationKind, boolean> = {
  FLIGHT_UPDATES: true,
  CHECK_IN_REMINDERS: true,
  LOYALTY: true,
  CASE_UPDATES: true,
  LOUNGE: true,
  OFFERS: false,
};

/** IATA special meal codes (SSR) airlines accept. */
export const MEAL_CODES = new Set([
  'AVML', 'BBML', 'BLML', 'CHML', 'DBML', 'FPML', 'GFML', 'HFML', 'HNML', 'JPML', 'KSML', 'LCML', 'LFML', 'LPML',
  'LSML', 'MOML', 'NLML', 'NOML', 'PRML', 'RVML', 'SFML', 'SPML', 'VGML', 'VJML', 'VLML', 'VOML',
]);

/**
 * Self-service: a customer may set its own preferences, consents and devices; staff need the update privilege.
 * The message does not reveal whether another customer exists.
 */
export function requireSelfOrUpdate(caller: Caller, customerId: string): void {
  if (canAccessCustomer(caller, customerId, Privilege.CustomerUpdate)) return;
  if (caller.roles.includes('Customer') && caller.customerId === customerId) return;
  throw new ForbiddenError(`You may not change customer ${customerId} (${Privilege.CustomerUpdate})`);
}

export interface PreferencesInput {
  channels?: string[] | null;
  notifications?: { kind: string; enabled: boolean }[] | null;
  seat?: string | null;
  meal?: string | null;
  drink?: string | null;
  interests?: string[] | null;
}

function validatePreferences(input: PreferencesInput) {
  const values: Partial<Omit<PreferencesRow, 'customerId' | 'updatedAt' | 'updatedBy'>> = {};
  if (input.channels !== undefined) {
    const channels = input.channels ?? [];
    if (new Set(channels).size !== channels.length) throw new BadUserInputError('channels', 'must not repeat a channel');
    values.channels = channels;
  }
  if (input.notifications !== undefined) {
    const settings: Record<string, boolean> = {};
    for (const [i, setting] of (input.notifications ?? []).entries()) {
      const kind = setting.kind.trim().toUpperCase();
      if (!(NOTIFICATION_KINDS as readonly string[]).includes(kind)) {
        throw new BadUserInputError(`notifications[${i}].kind`, `must be one of ${NOTIFICATION_KINDS.join(', ')}`);
      }
      settings[kind] = setting.enabled;
    }
    values.notifications = settings;
  }
  if (input.seat !== undefined) values.seat = input.seat;
  if (input.meal !== undefined) {
    const meal = input.meal?.trim().toUpperCase() || null;
    if (meal && !MEAL_CODES.has(meal)) throw new BadUserInputError('meal', 'must be an IATA special meal code such as VGML, KSML or GFML');
    values.meal = meal;
  }
  if (input.drink !== undefined) values.drink = input.drink?.trim() ? requireLength('drink', input.drink, { max: 100 }) : null;
  if (input.interests !== undefined) {
    const interests = [...new Set((input.interests ?? []).map((v, i) => requireLength(`interests[${i}]`, v, { min: 1, max: 50 }).toLowerCase()))];
    if (interests.length > 20) throw new BadUserInputError('interests', 'must have at most 20 entries');
    values.interests = interests;
  }
  return values;
}

/** Notification switches as shown: every kind, the customer's choice over the default. */
export function notificationSettings(chosen: Record<string, boolean>) {
  return NOTIFICATION_KINDS.map((kind) => ({ kind, enabled: chosen[kind] ?? DEFAULT_NOTIFICATIONS[kind] }));
}

export async function updatePreferences(
  db: Database,
  caller: Caller,
  events: EventContext,
  customerId: string,
  input: PreferencesInput,
): Promise<PreferencesRow> {
  const values = validatePreferences(input);
  return db.transaction(async (tx) => {
    const customer = await requireLiveCustomer(tx, customerId, { forUpdate: true });
    const row = await upsertPreferences(tx, customer.id, values, caller.subject);
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.CustomerPreferencesUpdated',
      aggregateType: 'Customer',
      aggregateId: customer.id,
      customerId: customer.id,
      data: { customerId: customer.id, changedFields: Object.keys(values).sort(), changedBy: caller.subject },
    });
    return row;
  });
}

export interface RecordConsentInput {
  customerId: string;
  purpose: string;
  granted: boolean;
  source: string;
  note?: string | null;
}

/**
 * Appends a grant or withdrawal to the consent ledger. Nothing is ever updated or deleted there: the latest entry
 * per purpose is in force, and a purpose never answered is not consented (opt-in only).
 */
export async function recordConsent(db: Database, caller: Caller, events: EventContext, input: RecordConsentInput): Promise<ConsentRow> {
  const note = input.note?.trim() ? requireLength('note', input.note, { max: 500 }) : null;
  if (input.granted && input.source === 'IMPORT') {
    throw new BadUserInputError('source', 'a grant must come from the customer (web, app, contact centre, airport or e-mail link), not an import');
  }
  return db.transaction(async (tx) => {
    const customer = await requireLiveCustomer(tx, input.customerId, { forUpdate: true });
    const row = await insertConsent(tx, {
      customerId: customer.id,
      purpose: input.purpose,
      granted: input.granted,
      source: input.source,
      note,
      recordedBy: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: input.granted ? 'cmp.customer.ConsentGranted' : 'cmp.customer.ConsentWithdrawn',
      aggregateType: 'Customer',
      aggregateId: customer.id,
      customerId: customer.id,
      data: { customerId: customer.id, consentId: row.id, purpose: row.purpose, source: row.source, recordedBy: caller.subject },
    });
    return row;
  });
}

/** The entry in force per purpose, from a customer's ledger newest first. */
export function consentsInForce(ledger: readonly ConsentRow[]): ConsentRow[] {
  const seen = new Map<string, ConsentRow>();
  for (const entry of ledger) if (!seen.has(entry.purpose)) seen.set(entry.purpose, entry);
  return [...seen.values()].sort((a, b) => a.purpose.localeCompare(b.purpose));
}

export interface DeviceInput {
  deviceId: string;
  platform: DeviceRow['platform'];
  appVersion?: string | null;
  pushEnabled?: boolean | null;
}

export async function registerDevice(db: Database, caller: Caller, customerId: string, input: DeviceInput): Promise<DeviceRow> {
  const deviceId = requireLength('deviceId', input.deviceId, { min: 1, max: 200 });
  const appVersion = input.appVersion?.trim() ? requireLength('appVersion', input.appVersion, { max: 50 }) : null;
  return db.transaction(async (tx) => {
    const customer = await requireLiveCustomer(tx, customerId);
    return upsertDevice(tx, { customerId: customer.id, deviceId, platform: input.platform, appVersion, pushEnabled: input.pushEnabled ?? false });
  });
}
