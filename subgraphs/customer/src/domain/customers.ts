import {
  BadUserInputError,
  recordEvent,
  requireLength,
  type Caller,
  type Database,
  type EventContext,
} from '@cmp/platform';
import { insertCustomer, nextCustomerSequence } from '../db/customers.repo.ts';
import { outbox, type CustomerRow } from '../db/schema.ts';
import { normaliseCountry, normaliseEmail, normalisePhone } from './contact-rules.ts';

export type CustomerType = CustomerRow['type'];
export type CustomerSegment = CustomerRow['segment'];

export interface AddressInput {
  street: string;
  city: string;
  state?: string | null;
  zipCode: string;
  country: string;
}

export interface CreateCustomerInput {
  type: CustomerType;
  companyName?: string | null;
  title?: string | null;
  firstName?: string | null;
  middleName?: string | null;
  lastName?: string | null;
  primaryEmail: string;
  primaryPhone?: string | null;
  billingAddress?: AddressInput | null;
  preferredLanguage?: string | null;
}

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

export function validateNewCustomer(input: CreateCustomerInput) {
  const person = {
    title: optional('title', input.title, 20),
    firstName: optional('firstName', input.firstName, 100),
    middleName: optional('middleName', input.middleName, 100),
    lastName: optional('lastName', input.lastName, 100),
  };
  const companyName = optional('companyName', input.companyName, 200);
  if (input.type === 'INDIVIDUAL') {
    if (!person.firstName) throw new BadUserInputError('firstName', 'is required for an individual customer');
    if (!person.lastName) throw new BadUserInputError('lastName', 'is required for an individual customer');
  } else if (!companyName) {
    throw new BadUserInputError('companyName', `is required for a ${input.type.toLowerCase().replace('_', ' ')} customer`);
  }
  const language = optional('preferredLanguage', input.preferredLanguage, 35);
  if (language && !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
    throw new BadUserInputError('preferredLanguage', 'must be a BCP 47 language tag such as es or en-GB');
  }
  return {
    type: input.type,
    companyName,
    ...person,
    primaryEmail: normaliseEmail('primaryEmail', input.primaryEmail),
    primaryPhone: input.primaryPhone ? normalisePhone('primaryPhone', input.primaryPhone) : null,
    billingAddress: input.billingAddress ? validateAddress('billingAddress', input.billingAddress) : null,
    preferredLanguage: language,
  };
}

export async function createCustomer(
  db: Database,
  caller: Caller,
  events: EventContext,
  input: CreateCustomerInput,
): Promise<CustomerRow> {
  const valid = validateNewCustomer(input);
  return db.transaction(async (tx) => {
    const customer = await insertCustomer(tx, {
      customerNumber: formatCustomerNumber(await nextCustomerSequence(tx)),
      type: valid.type,
      segment: initialSegment(valid.type),
      companyName: valid.companyName,
      title: valid.title,
      firstName: valid.firstName,
      middleName: valid.middleName,
      lastName: valid.lastName,
      primaryEmail: valid.primaryEmail,
      primaryPhone: valid.primaryPhone,
      billingStreet: valid.billingAddress?.street ?? null,
      billingCity: valid.billingAddress?.city ?? null,
      billingState: valid.billingAddress?.state ?? null,
      billingZipCode: valid.billingAddress?.zipCode ?? null,
      billingCountry: valid.billingAddress?.country ?? null,
      preferredLanguage: valid.preferredLanguage,
      createdBy: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.CustomerCreated',
      aggregateType: 'Customer',
      aggregateId: customer.id,
      customerId: customer.id,
      data: {
        customerId: customer.id,
        customerNumber: customer.customerNumber,
        type: customer.type,
        segment: customer.segment,
      },
    });
    return customer;
  });
}
