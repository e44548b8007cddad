import {
  FieldDecryptionError,
  fieldContext,
  hasPrivilege,
  lookupHash,
  lookupHashes,
  openField,
  Privilege,
  sealField,
  type Caller,
  type DataKeyRing,
} from '@cmp/platform';
import type { CustomerRow, NewCustomerRow } from '../db/schema.ts';

/**
 * The customer's sensitive fields in clear, as the domain works with them. At rest they are sealed (see
 * db/schema.ts): each address's street, city, state and postal code as one JSON value, the date of birth, the
 * passport number (and its lookup hash). The address countries are ordinary columns.
 */
export interface SensitiveValues {
  billingStreet: string | null;
  billingCity: string | null;
  billingState: string | null;
  billingZipCode: string | null;
  shippingStreet: string | null;
  shippingCity: string | null;
  shippingState: string | null;
  shippingZipCode: string | null;
  dateOfBirth: string | null;
  passportNumber: string | null;
}
export type SensitiveKey = keyof SensitiveValues;
export const SENSITIVE_KEYS: readonly SensitiveKey[] = [
  'billingStreet', 'billingCity', 'billingState', 'billingZipCode',
  'shippingStreet', 'shippingCity', 'shippingState', 'shippingZipCode',
  'dateOfBirth', 'passportNumber',
];

/** A customer row with its sensitive fields opened. */
export type OpenCustomer = CustomerRow & SensitiveValues;

/** The sealed columns, by the name used in the associated data (the database column). */
export const SEALED_COLUMNS = {
  billingAddressEnc: 'billing_address_enc',
  shippingAddressEnc: 'shipping_address_enc',
  dateOfBirthEnc: 'date_of_birth_enc',
  passportNumberEnc: 'passport_number_enc',
} as const;
export type SealedColumn = keyof typeof SEALED_COLUMNS;

const PASSPORT_LOOKUP = 'passport_number';

const contextOf = (id: string, column: SealedColumn) => fieldContext('customer', id, SEALED_COLUMNS[column]);

/** The form a passport number is stored, hashed and looked up in: upper case, no spaces or dashes. */
export function normalisePassportNumber(value: string): string {
  return value.replace(/[\s-]+/g, '').toUpperCase();
}

export function passportLookupHash(ring: DataKeyRing, number: string): string {
  return lookupHash(ring, PASSPORT_LOOKUP, normalisePassportNumber(number));
}

/** What a lookup by passport number matches: its hash under the current lookup key and each previous one kept. */
export function passportLookupHashes(ring: DataKeyRing, number: string): string[] {
  return lookupHashes(ring, PASSPORT_LOOKUP, normalisePassportNumber(number));
}

/** A row's passport number in clear, or null. */
export function openPassportNumber(ring: DataKeyRing, id: string, sealed: string | null): string | null {
  return sealed ? openField(ring, sealed, contextOf(id, 'passportNumberEnc')) : null;
}

interface AddressParts {
  street: string | null;
  city: string | null;
  state: string | null;
  zipCode: string | null;
}

function sealAddress(ring: DataKeyRing, id: string, column: SealedColumn, parts: AddressParts): string | null {
  if (!parts.street && !parts.city && !parts.state && !parts.zipCode) return null;
  return sealField(ring, JSON.stringify(parts), contextOf(id, column));
}

function openAddress(ring: DataKeyRing, id: string, column: SealedColumn, sealed: string | null): AddressParts {
  if (!sealed) return { street: null, city: null, state: null, zipCode: null };
  return JSON.parse(openField(ring, sealed, contextOf(id, column))) as AddressParts;
}

const opened = new WeakMap<CustomerRow, SensitiveValues>();

/** The row's sensitive fields in clear (each row object is opened once). Throws FieldDecryptionError on tampering. */
export function openSensitive(ring: DataKeyRing, row: CustomerRow): SensitiveValues {
  const cached = opened.get(row);
  if (cached) return cached;
  const billing = openAddress(ring, row.id, 'billingAddressEnc', row.billingAddressEnc);
  const shipping = openAddress(ring, row.id, 'shippingAddressEnc', row.shippingAddressEnc);
  const values: SensitiveValues = {
    billingStreet: billing.street,
    billingCity: billing.city,
    billingState: billing.state,
    billingZipCode: billing.zipCode,
    shippingStreet: shipping.street,
    shippingCity: shipping.city,
    shippingState: shipping.state,
    shippingZipCode: shipping.zipCode,
    dateOfBirth: row.dateOfBirthEnc ? openField(ring, row.dateOfBirthEnc, contextOf(row.id, 'dateOfBirthEnc')) : null,
    passportNumber: row.passportNumberEnc ? openField(ring, row.passportNumberEnc, contextOf(row.id, 'passportNumberEnc')) : null,
  };
  opened.set(row, values);
  return values;
}

export function openCustomer(ring: DataKeyRing, row: CustomerRow): OpenCustomer {
  return { ...row, ...openSensitive(ring, row) };
}

/** Splits a set of column values into the ordinary columns and the sensitive values still to be sealed. */
export function splitSensitive<T extends Partial<SensitiveValues>>(values: T): { plain: Omit<T, SensitiveKey>; sensitive: Partial<SensitiveValues> } {
  const plain: Record<string, unknown> = {};
  const sensitive: Partial<SensitiveValues> = {};
  for (const [key, value] of Object.entries(values)) {
    if ((SENSITIVE_KEYS as readonly string[]).includes(key)) (sensitive as Record<string, unknown>)[key] = value;
    else plain[key] = value;
  }
  return { plain: plain as Omit<T, SensitiveKey>, sensitive };
}

/**
 * The sealed columns for sensitive values that change on row `id`. An address is sealed whole, so a change of any
 * of its parts reseals it from `current` (the row's values before the change) with the change applied.
 */
export function sealedColumns(
  ring: DataKeyRing,
  id: string,
  changes: Partial<SensitiveValues>,
  current: SensitiveValues | null,
): Partial<NewCustomerRow> {
  const columns: Partial<NewCustomerRow> = {};
  const has = (key: SensitiveKey) => Object.prototype.hasOwnProperty.call(changes, key) && changes[key] !== undefined;
  const merged = (key: SensitiveKey) => (has(key) ? changes[key]! : (current?.[key] ?? null)) ?? null;
  for (const kind of ['billing', 'shipping'] as const) {
    const parts = ['Street', 'City', 'State', 'ZipCode'].map((p) => `${kind}${p}` as SensitiveKey);
    if (!parts.some(has)) continue;
    columns[`${kind}AddressEnc`] = sealAddress(ring, id, `${kind}AddressEnc`, {
      street: merged(parts[0]!),
      city: merged(parts[1]!),
      state: merged(parts[2]!),
      zipCode: merged(parts[3]!),
    });
  }
  if (has('dateOfBirth')) {
    const value = changes.dateOfBirth ?? null;
    columns.dateOfBirthEnc = value ? sealField(ring, value, contextOf(id, 'dateOfBirthEnc')) : null;
  }
  if (has('passportNumber')) {
    const value = changes.passportNumber ? normalisePassportNumber(changes.passportNumber) : null;
    columns.passportNumberEnc = value ? sealField(ring, value, contextOf(id, 'passportNumberEnc')) : null;
    columns.passportNumberHash = value ? passportLookupHash(ring, value) : null;
  }
  return columns;
}

/** Re-seals every sealed column of a row under the ring's active key (same values, same lookup hash). */
export function resealedColumns(ring: DataKeyRing, row: CustomerRow): Partial<NewCustomerRow> {
  const values = openSensitive(ring, row);
  return sealedColumns(ring, row.id, values, values);
}

export { FieldDecryptionError };

// ---------------------------------------------------------------------------------------------------------------
// Masking

/** The names under which sensitive fields are masked, audited and listed in `Customer.maskedFields`. */
export type SensitiveField = 'passport.number' | 'dateOfBirth' | 'billingAddress' | 'shippingAddress';

/**
 * Who reads sensitive fields in clear: a caller holding the sensitive-read privilege (which needs MFA), or the
 * customer itself reading its own record. Everyone else gets the masked forms.
 */
export function readsSensitiveInClear(caller: Caller, customerId: string): boolean {
  return hasPrivilege(caller, Privilege.SensitiveRead) || (caller.roles.includes('Customer') && caller.customerId === customerId);
}

export const MASK = '*****';

/** `*****` and the last four characters of a number of eight or more; `*****` alone for a shorter one. */
export function maskPassportNumber(number: string): string {
  return number.length >= 8 ? `${MASK}${number.slice(-4)}` : MASK;
}

/** Street hidden, postal code cut to its first two characters (the region), city, state and country kept. */
export function maskAddress<T extends { street: string; zipCode: string }>(address: T): T {
  return { ...address, street: MASK, zipCode: `${address.zipCode.slice(0, 2)}***` };
}
