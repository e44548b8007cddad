import {
  BadUserInputError,
  DomainRuleError,
  NotFoundError,
  Privilege,
  recordEvent,
  requireCustomerAccess,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import {
  clearPrimary,
  countLiveContacts,
  findContactById,
  findLiveContactByEmail,
  findLiveContactsOfCustomer,
  insertContact,
  reassignContacts,
  softRemoveContacts,
  updateContactRow,
} from '../db/contacts.repo.ts';
import { outbox, type ContactRow } from '../db/schema.ts';
import { normaliseEmail, normalisePhone } from './contact-rules.ts';
import { requireLiveCustomer } from './guards.ts';
import { normaliseTags } from './tags.ts';

export const CONTACT_NOT_FOUND = 'CONT-001';
export const DUPLICATE_CONTACT_EMAIL = 'CONT-002';
export const PRIMARY_CONTACT_REQUIRED = 'CONT-003';
export const CONTACT_LIMIT = 'CONT-004';
export const MAX_CONTACTS_PER_CUSTOMER = 50;

export interface NewContactInput {
  firstName: string;
  lastName: string;
  email: string;
  phone?: string | null;
  jobTitle?: string | null;
  isPrimary?: boolean | null;
  tags?: readonly string[] | null;
}

export interface ContactChanges {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  jobTitle?: string | null;
  isPrimary?: boolean | null;
}

/** The values of a new contact, checked and normalised; every error names its field. */
export function validateNewContact(input: NewContactInput) {
  return {
    firstName: requireLength('firstName', input.firstName, { min: 1, max: 100 }),
    lastName: requireLength('lastName', input.lastName, { min: 1, max: 100 }),
    email: normaliseEmail('email', input.email),
    phone: input.phone?.trim() ? normalisePhone('phone', input.phone) : null,
    jobTitle: input.jobTitle?.trim() ? requireLength('jobTitle', input.jobTitle, { max: 200 }) : null,
    isPrimary: input.isPrimary === true,
    tags: normaliseTags('tags', input.tags ?? []),
  };
}

function duplicateEmail(email: string): DomainRuleError {
  return new DomainRuleError(DUPLICATE_CONTACT_EMAIL, `email: the customer already has a contact with the e-mail address ${email}`, {
    field: 'email',
  });
}

function contactNotFound(id: string): NotFoundError {
  return new NotFoundError('Contact', id, CONTACT_NOT_FOUND);
}

const event = (
  tx: Executor,
  events: EventContext,
  type: string,
  customerId: string,
  changedBy: string,
  data: Record<string, unknown>,
) => recordEvent(tx, outbox, events, { type: `cmp.customer.${type}`, aggregateType: 'Customer', aggregateId: customerId, customerId, data: { ...data, changedBy } });

/**
 * Adds a contact inside the caller's transaction. The customer's row is locked first, so concurrent additions to
 * one customer run one after another: the limit of 50 and the single primary hold however many arrive at once.
 */
export async function addContactInTransaction(
  tx: Executor,
  actor: string,
  events: EventContext,
  customerId: string,
  values: ReturnType<typeof validateNewContact>,
): Promise<ContactRow> {
  await requireLiveCustomer(tx, customerId, { forUpdate: true });
  const live = await countLiveContacts(tx, customerId);
  if (live >= MAX_CONTACTS_PER_CUSTOMER) {
    throw new DomainRuleError(CONTACT_LIMIT, `A customer has at most ${MAX_CONTACTS_PER_CUSTOMER} contacts; remove one first`, {
      limit: MAX_CONTACTS_PER_CUSTOMER,
    });
  }
  if (await findLiveContactByEmail(tx, customerId, values.email)) throw duplicateEmail(values.email);
  const makePrimary = live === 0 || values.isPrimary;
  const previousPrimary = makePrimary ? await clearPrimary(tx, customerId) : null;
  const contact = await insertContact(tx, { ...values, customerId, isPrimary: makePrimary, createdBy: actor });
  await event(tx, events, 'ContactAdded', customerId, actor, { contactId: contact.id, isPrimary: contact.isPrimary, tags: contact.tags });
  // A customer's first contact is primary from the start (ContactAdded says so); a change is when it moves.
  if (previousPrimary) {
    await event(tx, events, 'PrimaryContactChanged', customerId, actor, { contactId: contact.id, previousContactId: previousPrimary });
  }
  return contact;
}

export async function addContact(db: Database, caller: Caller, events: EventContext, rawCustomerId: string, input: NewContactInput) {
  const customerId = requireUuid('customerId', rawCustomerId);
  requireCustomerAccess(caller, customerId, Privilege.CustomerUpdate);
  const values = validateNewContact(input);
  return db.transaction((tx) => addContactInTransaction(tx, caller.subject, events, customerId, values));
}

/**
 * Runs `change` on a live contact in a transaction that first locks (and checks) its customer. The contact is read
 * again under the lock: a merge may have moved it to another customer meanwhile.
 */
async function changeContact<T>(
  db: Database,
  caller: Caller,
  rawId: string,
  change: (tx: Executor, contact: ContactRow) => Promise<T>,
): Promise<T> {
  const id = requireUuid('id', rawId);
  const before = await findContactById(db, id);
  if (!before || before.removedAt) throw contactNotFound(id);
  requireCustomerAccess(caller, before.customerId, Privilege.CustomerUpdate);
  return db.transaction(async (tx) => {
    await requireLiveCustomer(tx, before.customerId, { forUpdate: true });
    const contact = await findContactById(tx, id);
    if (!contact || contact.removedAt || contact.customerId !== before.customerId) throw contactNotFound(id);
    return change(tx, contact);
  });
}

export function updateContact(db: Database, caller: Caller, events: EventContext, rawId: string, input: ContactChanges) {
  const values: Partial<ContactRow> = {};
  if (input.firstName != null) values.firstName = requireLength('firstName', input.firstName, { min: 1, max: 100 });
  else if (input.firstName === null) throw new BadUserInputError('firstName', 'is required and cannot be cleared');
  if (input.lastName != null) values.lastName = requireLength('lastName', input.lastName, { min: 1, max: 100 });
  else if (input.lastName === null) throw new BadUserInputError('lastName', 'is required and cannot be cleared');
  if (input.email != null) values.email = normaliseEmail('email', input.email);
  else if (input.email === null) throw new BadUserInputError('email', 'is required and cannot be cleared');
  if (input.phone !== undefined) values.phone = input.phone?.trim() ? normalisePhone('phone', input.phone) : null;
  if (input.jobTitle !== undefined) values.jobTitle = input.jobTitle?.trim() ? requireLength('jobTitle', input.jobTitle, { max: 200 }) : null;
  if (input.isPrimary === false) {
    throw new BadUserInputError('isPrimary', 'only true is accepted: make another contact primary to move the primary away');
  }

  return changeContact(db, caller, rawId, async (tx, contact) => {
    if (values.email && values.email.toLowerCase() !== contact.email.toLowerCase()) {
      if (await findLiveContactByEmail(tx, contact.customerId, values.email)) throw duplicateEmail(values.email);
    }
    const changed = Object.keys(values).filter((k) => values[k as keyof typeof values] !== contact[k as keyof ContactRow]);
    let previousPrimary: string | null = null;
    const becomesPrimary = input.isPrimary === true && !contact.isPrimary;
    if (becomesPrimary) {
      previousPrimary = await clearPrimary(tx, contact.customerId);
      values.isPrimary = true;
      changed.push('isPrimary');
    }
    if (changed.length === 0) return contact;
    const updated = await updateContactRow(tx, contact.id, values);
    await event(tx, events, 'ContactUpdated', contact.customerId, caller.subject, { contactId: contact.id, changed });
    if (becomesPrimary) {
      await event(tx, events, 'PrimaryContactChanged', contact.customerId, caller.subject, { contactId: contact.id, previousContactId: previousPrimary });
    }
    return updated;
  });
}

/**
 * Soft-removes a contact. The customer's last contact stays (CONT-003); the primary goes only when another live
 * contact of the same customer is named to replace it (CONT-003 otherwise).
 */
export function removeContact(db: Database, caller: Caller, events: EventContext, rawId: string, rawReplacementId?: string | null) {
  const replacementId = rawReplacementId ? requireUuid('newPrimaryContactId', rawReplacementId) : null;
  return changeContact(db, caller, rawId, async (tx, contact) => {
    const live = await countLiveContacts(tx, contact.customerId);
    if (live <= 1) {
      throw new DomainRuleError(PRIMARY_CONTACT_REQUIRED, 'The last contact of a customer cannot be removed; add another contact first', {
        contactId: contact.id,
      });
    }
    if (replacementId && !contact.isPrimary) {
      throw new BadUserInputError('newPrimaryContactId', 'is only for removing the primary contact; this contact is not the primary');
    }
    if (contact.isPrimary && !replacementId) {
      throw new DomainRuleError(
        PRIMARY_CONTACT_REQUIRED,
        'The primary contact cannot be removed without a replacement: name another contact in newPrimaryContactId',
        { contactId: contact.id, field: 'newPrimaryContactId' },
      );
    }
    if (replacementId === contact.id) {
      throw new BadUserInputError('newPrimaryContactId', 'must be another contact than the one removed');
    }
    let replacement: ContactRow | null = null;
    if (replacementId) {
      replacement = await findContactById(tx, replacementId);
      if (!replacement || replacement.removedAt || replacement.customerId !== contact.customerId) throw contactNotFound(replacementId);
    }
    await softRemoveContacts(tx, [contact.id], caller.subject);
    await event(tx, events, 'ContactRemoved', contact.customerId, caller.subject, { contactId: contact.id, newPrimaryContactId: replacement?.id ?? null });
    if (replacement) {
      await updateContactRow(tx, replacement.id, { isPrimary: true });
      await event(tx, events, 'PrimaryContactChanged', contact.customerId, caller.subject, { contactId: replacement.id, previousContactId: contact.id });
    }
    return (await findContactById(tx, contact.id))!;
  });
}

export function tagContact(db: Database, caller: Caller, events: EventContext, rawId: string, rawTags: readonly string[]) {
  const tags = normaliseTags('tags', rawTags);
  if (tags.length === 0) throw new BadUserInputError('tags', 'name at least one tag');
  return changeContact(db, caller, rawId, async (tx, contact) => {
    const added = tags.filter((t) => !contact.tags.includes(t));
    if (added.length === 0) return contact;
    const updated = await updateContactRow(tx, contact.id, { tags: [...contact.tags, ...added] });
    await event(tx, events, 'ContactTagged', contact.customerId, caller.subject, { contactId: contact.id, tags: added });
    return updated;
  });
}

export function untagContact(db: Database, caller: Caller, events: EventContext, rawId: string, rawTags: readonly string[]) {
  const tags = normaliseTags('tags', rawTags);
  if (tags.length === 0) throw new BadUserInputError('tags', 'name at least one tag');
  return changeContact(db, caller, rawId, async (tx, contact) => {
    const removed = contact.tags.filter((t) => tags.includes(t));
    if (removed.length === 0) return contact;
    const updated = await updateContactRow(tx, contact.id, { tags: contact.tags.filter((t) => !tags.includes(t)) });
    await event(tx, events, 'ContactUntagged', contact.customerId, caller.subject, { contactId: contact.id, tags: removed });
    return updated;
  });
}

/**
 * A merge's part for contacts, inside the merge's transaction (both customer rows already locked by it). The
 * source's live contacts move to the target, except those whose e-mail the target already has, which are removed
 * as duplicates. Moved contacts lose the primary flag unless the target has no primary, in which case the source's
 * primary stays primary. Beyond 50 live contacts on the target the merge is refused (CONT-004).
 */
export async function moveContacts(
  tx: Executor,
  fromCustomerId: string,
  toCustomerId: string,
  actor: string,
  events: EventContext,
): Promise<{ moved: number; removedAsDuplicates: number }> {
  const [source, target] = await Promise.all([findLiveContactsOfCustomer(tx, fromCustomerId), findLiveContactsOfCustomer(tx, toCustomerId)]);
  const targetEmails = new Set(target.map((c) => c.email.toLowerCase()));
  const duplicates = source.filter((c) => targetEmails.has(c.email.toLowerCase()));
  const movers = source.filter((c) => !targetEmails.has(c.email.toLowerCase()));
  if (target.length + movers.length > MAX_CONTACTS_PER_CUSTOMER) {
    throw new DomainRuleError(
      CONTACT_LIMIT,
      `The merge would give customer ${toCustomerId} ${target.length + movers.length} contacts; a customer has at most ${MAX_CONTACTS_PER_CUSTOMER}`,
      { limit: MAX_CONTACTS_PER_CUSTOMER, customerId: toCustomerId },
    );
  }
  const targetHasPrimary = target.some((c) => c.isPrimary);
  await softRemoveContacts(tx, duplicates.map((c) => c.id), actor);
  await reassignContacts(tx, movers.map((c) => c.id), toCustomerId, !targetHasPrimary);
  for (const c of duplicates) {
    await event(tx, events, 'ContactRemoved', fromCustomerId, actor, { contactId: c.id, reason: 'DUPLICATE_ON_MERGE', mergedIntoId: toCustomerId });
  }
  for (const c of movers) {
    await event(tx, events, 'ContactUpdated', toCustomerId, actor, {
      contactId: c.id,
      changed: c.isPrimary && targetHasPrimary ? ['customer', 'isPrimary'] : ['customer'],
      fromCustomerId,
    });
  }
  const movedPrimary = movers.find((c) => c.isPrimary);
  if (movedPrimary && !targetHasPrimary) {
    await event(tx, events, 'PrimaryContactChanged', toCustomerId, actor, { contactId: movedPrimary.id, previousContactId: null });
  }
  return { moved: movers.length, removedAsDuplicates: duplicates.length };
}
