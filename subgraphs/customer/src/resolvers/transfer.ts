import { BadUserInputError, requireUuid } from '@cmp/platform';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { findExport, findImport } from '../db/transfer.repo.ts';
import { downloadUrl, exportContacts, exportProgress, mayReadTransfer } from '../transfer/exports.ts';
import { importProgress, startContactImport, type StartedImport } from '../transfer/imports.ts';

export const transferResolvers: Resolvers<Context> = {
  Query: {
    contactImport: async (_parent, { id }, { db, caller }) => {
      const row = await findImport(db, requireUuid('id', id));
      return row && mayReadTransfer(caller, row) ? row : null;
    },
    contactExport: async (_parent, { id }, { db, caller }) => {
      const row = await findExport(db, requireUuid('id', id));
      return row && mayReadTransfer(caller, row) ? row : null;
    },
  },
  Mutation: {
    startContactImport: (_parent, { input }, { db, caller, origin }) => startContactImport(db, caller, origin, input),
    exportContacts: (_parent, { input }, { db, caller }) => exportContacts(db, caller, input),
  },
  ContactImport: {
    // The token exists only in the answer of startContactImport; the row keeps its hash.
    uploadUrl: (row) => ((row as Partial<StartedImport>).uploadUrl && row.status === 'AWAITING_UPLOAD' ? (row as StartedImport).uploadUrl : null),
    uploadExpiresAt: (row) => (row.status === 'AWAITING_UPLOAD' ? row.uploadExpiresAt : null),
    progressPercent: (row) => importProgress(row),
    errors: (row, { first, offset }) => {
      if (first < 0 || first > 1000) throw new BadUserInputError('first', 'must be 0-1000');
      if (offset < 0) throw new BadUserInputError('offset', 'must not be negative');
      return row.errors.slice(offset, offset + first);
    },
  },
  ContactExport: {
    progressPercent: (row) => exportProgress(row),
    downloadUrl: (row, _args, { origin }) => downloadUrl(row, origin),
  },
};
