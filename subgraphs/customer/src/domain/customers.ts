import { randomUUID } from 'node:crypto';
import {
  BadUserInputError,
  recordEvent,
  requireLength,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { insertCustomer, nextCustomerSequence, updateCustomerRow } from '../db/customers.repo.ts';
import { recordHistory } from '../db/history.repo.ts';
import { outbox, type CustomerRow, type NewCustomerRow } from '../db/schema.ts';
import { dataKeysFor } from '../data-keys.ts';
import {
  normaliseCountry,
  normaliseEmail,
  normaliseLanguage,
  normalisePhone,
  normaliseTimeZone,
  normaliseWebsite,
} from './contact-rules.ts';
import { requireLiveCustomer } from './guards.ts';
import { openCustomer, sealedColumns, splitSensitive, type OpenCustomer, type SensitiveValues } from './sensitive.ts';

export type CustomerType = CustomerRow['type'];
export type CustomerSegment = CustomerRow['segment'];
type Gender = NonNullable<CustomerRow['gender']>;

export interface AddressInput {
  street: string;
  city: string;
  state?: string | null;
  zipCode: string;
  country: string;
}

export interface PassportInput {
  number: string;
  country?: string | null;
  expiresOn?: string | null;
}

/** The customer's details; in an update only the keys present change and null clears. */
export interface ProfileInput {
  companyName?: string | null;
  industry?: string | null;
  website?: string | null;
  title?: string | null;
  firstName?: string | null;
  middleName?: string | null;
  lastName?: string | null;
  primaryEmail?: string | null;
  primaryPhone?: string | null;
  billingAddress?: AddressInput | null;
  shippingAddress?: AddressInput | null;
  shippingSameAsBilling?: boolean | null;
  dateOfBirth?: string | null;
  gender?: Gender | null;
  nationality?: string | null;
  passport?: PassportInput | null;
  loyaltyNumber?: string | null;
  preferredLanguage?: string | null;
  timeZone?: string | null;
}

export interface CreateCustomerInput extends ProfileInput {
  type: CustomerType;
  primaryEmail: string;
}

/** Values a profile change may set: ordinary columns, and sensitive values in clear (sealed when written). */
type ProfileColumns = Partial<
  Pick<
    NewCustomerRow,
    | 'companyName' | 'industry' | 'website' | 'title' | 'firstName' | 'middleName' | 'lastName' | 'primaryEmail'
    | 'primaryPhone' | 'billingCountry' | 'shippingCountry' | 'gender' | 'nationality' | 'passportCountry'
    | 'passportExpiry' | 'loyaltyNumber' | 'preferredLanguage' | 'timeZone'
  > &
    SensitiveValues
>;

/** Fields whose change is a CustomerContactInfoUpdated; every other field is a CustomerProfileUpdated. */
const CONTACT_INFO_FIELDS = new Set(['primaryEmail', 'primaryPhone', 'billingAddress', 'shippingAddress']);

export function formatCustomerNumber(sequence: number): string {
  return `CUS-${String(sequence).padStart(6, '0')}`;
}

/** New customers start Standard; an Enterprise is Corporate from the start (DOMAIN.md segments). */
export function initialSegment(type: CustomerType): CustomerSegment {
  return type === 'ENTERPRISE' ? 'CORPORATE' : 'STANDARD';
}

export function displayName(c: Pick<CustomerRow, 'type' | 'companyName' | 'firstName' | 'lastName'>): string {
  if (c.type === 'INDIVIDUAL') return [c.firstName, c.lastName].filter(Boolean).join(' ');
  return c.companyName ?? '';
}

const optional = (field: string, value: string | null | undefined, max: number) =>
  value == null || value.trim() === '' ? null : requireLength(field, value, { max });

function validateAddress(prefix: string, a: AddressInput) {
  return {
    street: requireLength(`${prefix}.street`, a.street, { min: 1, max: 200 }),
    city: requireLength(`${prefix}.city`, a.city, { min: 1, max: 100 }),
    state: optional(`${prefix}.state`, a.state, 100),
    zipCode: requireLength(`${prefix}.zipCode`, a.zipCode, { min: 1, max: 20 }),
    country: normaliseCountry(`${prefix}.country`, a.country),
  };
}

function addressColumns(kind: 'billing' | 'shipping', address: ReturnType<typeof validateAddress> | null): ProfileColumns {
  return {
    [`${kind}Street`]: address?.street ?? null,
    [`${kind}City`]: address?.city ?? null,
    [`${kind}State`]: address?.state ?? null,
    [`${kind}ZipCode`]: address?.zipCode ?? null,
    [`${kind}Country`]: address?.country ?? null,
  };
}

export function billingAddressOf(c: OpenCustomer) {
  return c.billingStreet && c.billingCity && c.billingZipCode && c.billingCountry
    ? { street: c.billingStreet, city: c.billingCity, state: c.billingState, zipCode: c.billingZipCode, country: c.billingCountry }
    : null;
}

export function shippingAddressOf(c: OpenCustomer) {
  return c.shippingStreet && c.shippingCity && c.shippingZipCode && c.shippingCountry
    ? { street: c.shippingStreet, city: c.shippingCity, state: c.shippingState, zipCode: c.shippingZipCode, country: c.shippingCountry }
    : null;
}

function validateDateOfBirth(value: string, today: Date): string {
  const born = new Date(`${value}T00:00:00Z`);
  const oldest = new Date(Date.UTC(today.getUTCFullYear() - 130, today.getUTCMonth(), today.getUTCDate()));
  if (born > today) throw new BadUserInputError('dateOfBirth', 'cannot be in the future');
  if (born < oldest) throw new BadUserInputError('dateOfBirth', 'cannot be more than 130 years ago');
  return value;
}

function validatePassport(input: PassportInput, today: Date) {
  const number = input.number.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z0-9]{5,20}$/.test(number)) {
    throw new BadUserInputError('passport.number', 'must be 5 to 20 letters and digits');
  }
  const expiresOn = input.expiresOn ?? null;
  if (expiresOn && new Date(`${expiresOn}T00:00:00Z`) < new Date(Date.UTC(today.getUTCFullYear() - 20, 0, 1))) {
    throw new BadUserInputError('passport.expiresOn', 'is too far in the past to be a passport expiry');
  }
  return {
    passportNumber: number,
    passportCountry: input.country ? normaliseCountry('passport.country', input.country) : null,
    passportExpiry: expiresOn,
  };
}

/**
 * The columns for the profile fields present in `input`, each validated (errors name the field). Person and
 * company names are checked against the type by `requireNames` on the resulting record.
 */
export function profileColumns(input: ProfileInput, current: OpenCustomer | null, today = new Date()): ProfileColumns {
  const has = (key: keyof ProfileInput) => Object.prototype.hasOwnProperty.call(input, key) && input[key] !== undefined;
  const columns: ProfileColumns = {};
  if (has('companyName')) columns.companyName = optional('companyName', input.companyName, 200);
  if (has('industry')) columns.industry = optional('industry', input.industry, 100);
  if (has('website')) columns.website = input.website?.trim() ? normaliseWebsite('website', input.website) : null;
  if (has('title')) columns.title = optional('title', input.title, 20);
  if (has('firstName')) columns.firstName = optional('firstName', input.firstName, 100);
  if (has('middleName')) columns.middleName = optional('middleName', input.middleName, 100);
  if (has('lastName')) columns.lastName = optional('lastName', input.lastName, 100);
  if (has('primaryEmail')) {
    if (input.primaryEmail == null) throw new BadUserInputError('primaryEmail', 'is required and cannot be cleared');
    columns.primaryEmail = normaliseEmail('primaryEmail', input.primaryEmail);
  }
  if (has('primaryPhone')) {
    columns.primaryPhone = input.primaryPhone?.trim() ? normalisePhone('primaryPhone', input.primaryPhone) : null;
  }
  const billing = has('billingAddress') ? (input.billingAddress ? validateAddress('billingAddress', input.billingAddress) : null) : undefined;
  if (billing !== undefined) Object.assign(columns, addressColumns('billing', billing));
  if (input.shippingSameAsBilling) {
    if (has('shippingAddress')) {
      throw new BadUserInputError('shippingSameAsBilling', 'cannot be combined with a shippingAddress');
    }
    const source = billing !== undefined ? billing : current ? billingAddressOf(current) : null;
    if (!source) throw new BadUserInputError('shippingSameAsBilling', 'needs a billing address to copy');
    Object.assign(columns, addressColumns('shipping', source));
  } else if (has('shippingAddress')) {
    Object.assign(columns, addressColumns('shipping', input.shippingAddress ? validateAddress('shippingAddress', input.shippingAddress) : null));
  }
  if (has('dateOfBirth')) columns.dateOfBirth = input.dateOfBirth ? validateDateOfBirth(input.dateOfBirth, today) : null;
  if (has('gender')) columns.gender = input.gender ?? null;
  if (has('nationality')) columns.nationality = input.nationality?.trim() ? normaliseCountry('nationality', input.nationality) : null;
  if (has('passport')) {
    Object.assign(
      columns,
      input.passport ? validatePassport(input.passport, today) : { passportNumber: null, passportCountry: null, passportExpiry: null },
    );
  }
  if (has('loyaltyNumber')) {
    const number = input.loyaltyNumber?.replace(/\s+/g, '').toUpperCase();
    if (number && !/^[A-Z0-9]{6,20}$/.test(number)) throw new BadUserInputError('loyaltyNumber', 'must be 6 to 20 letters and digits');
    columns.loyaltyNumber = number || null;
  }
  if (has('preferredLanguage')) {
    columns.preferredLanguage = input.preferredLanguage?.trim() ? normaliseLanguage('preferredLanguage', input.preferredLanguage) : null;
  }
  if (has('timeZone')) columns.timeZone = input.timeZone?.trim() ? normaliseTimeZone('timeZone', input.timeZone) : null;
  return columns;
}

/** Individuals need first and last name, every other type a company name. */
function requireNames(type: CustomerType, c: Pick<NewCustomerRow, 'firstName' | 'lastName' | 'companyName'>): void {
  if (type === 'INDIVIDUAL') {
    if (!c.firstName) throw new BadUserInputError('firstName', 'is required for an individual customer');
    if (!c.lastName) throw new BadUserInputError('lastName', 'is required for an individual customer');
  } else if (!c.companyName) {
    throw new BadUserInputError('companyName', `is required for a ${type.toLowerCase().replace('_', ' ')} customer`);
  }
}

export function validateNewCustomer(input: CreateCustomerInput) {
  const columns = profileColumns(input, null);
  requireNames(input.type, columns);
  return { type: input.type, ...columns, primaryEmail: columns.primaryEmail! };
}

export async function createCustomer(db: Database, caller: Caller, events: EventContext, input: CreateCustomerInput): Promise<CustomerRow> {
  const valid = validateNewCustomer(input);
  const ring = await dataKeysFor(db);
  // The id is chosen here, as the sealed values are bound to it.
  const id = randomUUID();
  const { plain, sensitive } = splitSensitive(valid);
  return db.transaction(async (tx) => {
    const customer = await insertCustomer(tx, {
      ...plain,
      ...sealedColumns(ring, id, sensitive, null),
      id,
      customerNumber: formatCustomerNumber(await nextCustomerSequence(tx)),
      segment: initialSegment(valid.type),
      createdBy: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.CustomerRegistered',
      aggregateType: 'Customer',
      aggregateId: customer.id,
      customerId: customer.id,
      data: {
        customerId: customer.id,
        customerNumber: customer.customerNumber,
        type: customer.type,
        segment: customer.segment,
        createdBy: caller.subject,
      },
    });
    return customer;
  });
}

/** The GraphQL field a column belongs to, for change lists in events and history. */
function fieldOf(column: string): string {
  if (column.startsWith('billing')) return 'billingAddress';
  if (column.startsWith('shipping')) return 'shippingAddress';
  if (column.startsWith('passport')) return 'passport';
  return column;
}

const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);

/**
 * Changes a live customer's details. Only what actually changes is written; the change is announced as
 * CustomerContactInfoUpdated (e-mail, phone, addresses) and/or CustomerProfileUpdated (everything else), with
 * the names of the changed fields (never their values: events travel further than this database).
 */
export async function updateCustomer(
  db: Database,
  caller: Caller,
  events: EventContext,
  id: string,
  input: ProfileInput,
): Promise<CustomerRow> {
  const ring = await dataKeysFor(db);
  return db.transaction(async (tx) => {
    const row = await requireLiveCustomer(tx, id, { field: 'id', forUpdate: true });
    // Compared in clear: sealing the same value twice never gives the same text.
    const current = openCustomer(ring, row);
    const columns = profileColumns(input, current);
    const changed = Object.fromEntries(
      Object.entries(columns).filter(([column, value]) => !same(value, current[column as keyof OpenCustomer])),
    ) as ProfileColumns;
    if (Object.keys(changed).length === 0) return row;
    requireNames(current.type, { ...current, ...changed });
    const { plain, sensitive } = splitSensitive(changed);
    const updated = await updateCustomerRow(tx, current.id, {
      ...plain,
      ...sealedColumns(ring, current.id, sensitive, current),
      updatedAt: new Date(),
    });
    const fields = [...new Set(Object.keys(changed).map(fieldOf))].sort();
    await recordHistory(tx, {
      customerId: current.id,
      attribute: 'PROFILE',
      toValue: fields.join(','),
      source: 'MANUAL',
      actor: caller.subject,
    });
    await announceChanges(tx, events, current.id, fields, caller.subject);
    return updated;
  });
}

async function announceChanges(tx: Executor, events: EventContext, customerId: string, fields: string[], actor: string) {
  const contactInfo = fields.filter((f) => CONTACT_INFO_FIELDS.has(f));
  const profile = fields.filter((f) => !CONTACT_INFO_FIELDS.has(f));
  for (const [type, changed] of [
    ['cmp.customer.CustomerContactInfoUpdated', contactInfo],
    ['cmp.customer.CustomerProfileUpdated', profile],
  ] as const) {
    if (changed.length === 0) continue;
    await recordEvent(tx, outbox, events, {
      type,
      aggregateType: 'Customer',
      aggregateId: customerId,
      customerId,
      data: { customerId, changedFields: changed, changedBy: actor },
    });
  }
}
