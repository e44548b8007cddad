import { canAccessCustomer, Privilege, requireCustomerAccess, requirePrivilege, requireUuid } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { addContact, removeContact, tagContact, untagContact, updateContact } from '../domain/contacts.ts';
import { normaliseTags } from '../domain/tags.ts';

export const contactResolvers: Resolvers<Context> = {
  Mutation: {
    addContact: (_parent, { customerId, input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return addContact(db, caller, events, customerId, input);
    },
    updateContact: (_parent, { id, input }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return updateContact(db, caller, events, id, input);
    },
    removeContact: (_parent, { id, newPrimaryContactId }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return removeContact(db, caller, events, id, newPrimaryContactId);
    },
    tagContact: (_parent, { id, tags }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return tagContact(db, caller, events, id, tags);
    },
    untagContact: (_parent, { id, tags }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.CustomerUpdate);
      return untagContact(db, caller, events, id, tags);
    },
  },
  Contact: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const contact = await loaders.contactById.load(requireUuid('id', reference.id));
      return contact && canAccessCustomer(caller, contact.customerId, Privilege.CustomerRead) ? contact : null;
    },
    // The customer lives in this subgraph, so its whole row is loaded (a bare `{ id }` would leave its fields empty).
    customer: async (contact, _args, { loaders }) => {
      const customer = await loaders.customerById.load(contact.customerId);
      if (!customer) throw new Error(`contact ${contact.id} belongs to customer ${contact.customerId}, which does not exist`);
      return customer;
    },
  },
  Customer: {
    contacts: (customer, { tag }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const [normalised = null] = tag == null ? [] : normaliseTags('tag', [tag]);
      return loaders.contactsByCustomer(customer.id, { tag: normalised });
    },
    primaryContact: async (customer, _args, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      const contacts = await loaders.contactsByCustomer(customer.id, { tag: null });
      return contacts.find((c) => c.isPrimary) ?? null;
    },
  },
};
