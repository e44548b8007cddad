import { readDataExportSection, requireUuid } from '@cmp/platform';
import { JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { dataExportSections } from '../db/schema.ts';

export const dataExportResolvers: Resolvers<Context> = {
  JSON: JSONResolver,
  DataSubjectExport: {
    __resolveReference: (reference) => reference,
    loyaltyData: async ({ id }, _args, { db, caller, audit }) =>
      (await readDataExportSection(db, dataExportSections, caller, requireUuid('id', id), { audit, field: 'loyaltyData' }))?.section ?? null,
  },
};
