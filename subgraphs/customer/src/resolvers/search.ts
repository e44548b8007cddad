import { ForbiddenError, Privilege, isSelfServiceOnly, requirePrivilege } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { searchCustomers } from '../domain/search.ts';

export const searchResolvers: Resolvers<Context> = {
  Query: {
    searchCustomers: (_parent, args, { db, caller }) => {
      // A customer may read its own record, never look through everyone else's.
      if (isSelfServiceOnly(caller) && caller.roles.length > 0) {
        throw new ForbiddenError('A customer cannot search customers; read your own record with customer(id)');
      }
      requirePrivilege(caller, Privilege.CustomerRead);
      return searchCustomers(db, args);
    },
  },
};
