import {
  BadUserInputError,
  Privilege,
  normaliseFilter,
  requireCustomerAccess,
  requirePageSize,
  requirePrivilege,
  requireUuid,
} from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { dataKeysFor } from '../data-keys.ts';
import { findCustomerByNumber, findLiveCustomersByPassportHash } from '../db/customers.repo.ts';
import type { CustomerRow } from '../db/schema.ts';
import { addressWarnings } from '../domain/contact-rules.ts';
import { billingAddressOf, createCustomer, displayName, shippingAddressOf, updateCustomer } from '../domain/customers.ts';
import { changeCustomerStatus, deactivateCustomer, mergeCustomers, reactivateCustomer } from '../domain/lifecycle.ts';
import {
  consentsInForce,
  notificationSettings,
  recordConsent,
  registerDevice,
  requireSelfOrUpdate,
  updatePreferences,
} from '../domain/preferences.ts';
import {
  maskAddress,
  maskPassportNumber,
  normalisePassportNumber,
  openSensitive,
  passportLookupHashes,
  readsSensitiveInClear,
  type SensitiveField,
} from '../domain/sensitive.ts';
import { scalarResolvers } from './scalars.ts';

/**
 * What a normal read of a customer shows: a live customer; the customer a merged duplicate now lives in;
 * nothing for a deactivated one.
 */
async function shownAs(context: Context, row: CustomerRow | null): Promise<CustomerRow | null> {
  if (!row) return null;
  if (row.mergedIntoId) return shownAs(context, await context.loaders.customerById.load(row.mergedIntoId));
  return row.deactivatedAt ? null : row;
}

async function visibleCustomer(context: Context, rawId: string, field = 'id') {
  const id = requireUuid(field, rawId);
  requireCustomerAccess(context.caller, id, Privilege.CustomerRead);
  return shownAs(context, await context.loaders.customerById.load(id));
}

/**
 * A customer's sensitive fields for this caller: opened, and whether the caller may see them in clear. `read`
 * notes a read in clear in the request's audit records (one record per customer, listing the fields).
 */
async function sensitiveView(context: Context, row: CustomerRow) {
  const open = { ...row, ...openSensitive(await dataKeysFor(context.db), row) };
  const clear = readsSensitiveInClear(context.caller, row.id);
  return { open, clear, read: (field: SensitiveField) => context.audit.sensitiveRead(row.id, [field]) };
}

async function addressField(context: Context, row: CustomerRow, field: 'billingAddress' | 'shippingAddress') {
  const { open, clear, read } = await sensitiveView(context, row);
  const address = field === 'billingAddress' ? billingAddressOf(open) : shippingAddressOf(open);
  if (!address) return null;
  if (!clear) return maskAddress(address);
  read(field);
  return address;
}

export const customerResolvers: Resolvers<Context> = {
  ...scalarResolvers,
  Query: {
    customer: (_parent, { id }, context) => visibleCustomer(context, id),
    customerByNumber: async (_parent, { customerNumber }, context) => {
      requirePrivilege(context.caller, Privilege.CustomerRead);
      const row = await findCustomerByNumber(context.db, customerNumber.trim().toUpperCase());
      if (!row) return null;
      requireCustomerAccess(context.caller, row.id, Privilege.CustomerRead);
      return shownAs(context, row);
    },
    customerByPassport: async (_parent, { passportNumber }, context) => {
      requirePrivilege(context.caller, Privilege.SensitiveRead);
      const number = normalisePassportNumber(passportNumber);
      if (!/^[A-Z0-9]{5,20}$/.test(number)) throw new BadUserInputError('passportNumber', 'must be 5 to 20 letters and digits');
      const rows = await findLiveCustomersByPassportHash(context.db, passportLookupHashes(await dataKeysFor(context.db), number));
      // A match discloses that this customer holds this number: a sensitive read even if no field is selected.
      for (const row of rows) context.audit.sensitiveRead(row.id, ['passport.number']);
      return rows;
    },
  },
  Mutation: {
    createCustomer: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerCreate);
      return createCustomer(db, caller, events, input);
    },
    updateCustomer: (_parent, { id, input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return updateCustomer(db, caller, events, id, input);
    },
    changeCustomerStatus: (_parent, { id, status, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return changeCustomerStatus(db, caller, events, id, status, reason);
    },
    deactivateCustomer: (_parent, { id, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerDeactivate);
      return deactivateCustomer(db, caller, events, id, reason);
    },
    reactivateCustomer: (_parent, { id, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerDeactivate);
      return reactivateCustomer(db, caller, events, id, reason);
    },
    mergeCustomers: (_parent, { input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerMerge);
      return mergeCustomers(db, caller, events, input);
    },
    updateCustomerPreferences: (_parent, { customerId, input }, { db, caller, events }) => {
      requireSelfOrUpdate(caller, requireUuid('customerId', customerId));
      return updatePreferences(db, caller, events, customerId, input);
    },
    recordConsent: (_parent, { input }, { db, caller, events }) => {
      requireSelfOrUpdate(caller, requireUuid('customerId', input.customerId));
      return recordConsent(db, caller, events, input);
    },
    registerCustomerDevice: (_parent, { customerId, input }, { db, caller }) => {
      requireSelfOrUpdate(caller, requireUuid('customerId', customerId));
      return registerDevice(db, caller, customerId, input);
    },
  },
  Customer: {
    __resolveReference: (reference, context) => visibleCustomer(context, reference.id),
    displayName: (customer) => displayName(customer),
    billingAddress: (c, _args, context) => addressField(context, c, 'billingAddress'),
    shippingAddress: (c, _args, context) => addressField(context, c, 'shippingAddress'),
    addressWarnings: async (c, _args, context) => {
      const { open, clear, read } = await sensitiveView(context, c);
      const warnings = [];
      for (const [field, address] of [['billingAddress', billingAddressOf(open)], ['shippingAddress', shippingAddressOf(open)]] as const) {
        for (const warning of addressWarnings(field, address)) {
          // The message quotes the postal code: only callers who see it in clear get it.
          if (clear) read(field);
          warnings.push(clear ? warning : { ...warning, message: warning.message.replace(`"${address!.zipCode}"`, 'The postal code') });
        }
      }
      return warnings;
    },
    dateOfBirth: async (c, _args, context) => {
      if (!c.dateOfBirthEnc) return null;
      const { open, clear, read } = await sensitiveView(context, c);
      if (!clear) return null;
      read('dateOfBirth');
      return open.dateOfBirth;
    },
    passport: async (c, _args, context) => {
      if (!c.passportNumberEnc) return null;
      const { open, clear, read } = await sensitiveView(context, c);
      if (clear) read('passport.number');
      const number = clear ? open.passportNumber! : maskPassportNumber(open.passportNumber!);
      return { number, country: c.passportCountry, expiresOn: c.passportExpiry };
    },
    maskedFields: (c, _args, { caller }) => {
      if (readsSensitiveInClear(caller, c.id)) return [];
      const held: [SensitiveField, string | null][] = [
        ['billingAddress', c.billingAddressEnc],
        ['dateOfBirth', c.dateOfBirthEnc],
        ['passport.number', c.passportNumberEnc],
        ['shippingAddress', c.shippingAddressEnc],
      ];
      return held.filter(([, sealed]) => sealed !== null).map(([field]) => field);
    },
    preferences: async (c, _args, { loaders }) => (await loaders.preferencesByCustomer.load(c.id)) ?? { customerId: c.id, empty: true },
    consents: async (c, _args, { loaders }) => consentsInForce(await loaders.consentLedgerByCustomer.load(c.id)),
    consentHistory: (c, _args, { loaders }) => loaders.consentLedgerByCustomer.load(c.id),
    devices: (c, _args, { loaders }) => loaders.devicesByCustomer.load(c.id),
    history: (c, { attributes, first }, { loaders }) =>
      loaders.historyByCustomer(c.id, { attributes: normaliseFilter(attributes), first: requirePageSize('first', first, 50, 200) }),
    mergedInto: async (c, _args, context) => (c.mergedIntoId ? shownAs(context, await context.loaders.customerById.load(c.mergedIntoId)) : null),
  },
  CustomerPreferences: {
    channels: (p) => ('empty' in p ? [] : p.channels) as never,
    notifications: (p) => notificationSettings('empty' in p ? {} : p.notifications),
    seat: (p) => ('empty' in p ? null : p.seat) as never,
    meal: (p) => ('empty' in p ? null : p.meal),
    drink: (p) => ('empty' in p ? null : p.drink),
    interests: (p) => ('empty' in p ? [] : p.interests),
    updatedAt: (p) => ('empty' in p ? null : p.updatedAt),
  },
};
