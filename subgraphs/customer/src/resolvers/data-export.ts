import { DATA_EXPORT_SUBGRAPHS, readDataExportSection, requireUuid } from '@cmp/platform';
import { JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { dataExportSections } from '../db/schema.ts';
import { segmentAggregates } from '../domain/aggregates.ts';
import { findDataSubjectExport, requestDataSubjectExport } from '../domain/data-export.ts';

export const dataExportResolvers: Resolvers<Context> = {
  JSON: JSONResolver,
  Query: {
    dataSubjectExport: (_parent, { id }, { db, caller }) => findDataSubjectExport(db, caller, id),
    segmentAggregates: (_parent, { groupBy }, { db, caller }) => segmentAggregates(db, caller, groupBy),
  },
  Mutation: {
    requestDataSubjectExport: (_parent, { customerId }, { db, caller, events }) => requestDataSubjectExport(db, caller, events, customerId),
  },
  DataSubjectExport: {
    __resolveReference: ({ id }, { db, caller }) => findDataSubjectExport(db, caller, id),
    sectionsReady: (row) => row.readySections.length,
    sectionsTotal: () => DATA_EXPORT_SUBGRAPHS.length,
    customerData: async (row, _args, { db, caller, audit }) =>
      (await readDataExportSection(db, dataExportSections, caller, requireUuid('id', row.id), { audit, field: 'customerData' }))?.section ?? null,
  },
};
