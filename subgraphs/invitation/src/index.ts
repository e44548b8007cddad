import { defineSubgraph } from '@cmp/platform';
import { upsertLounges } from './db/invitations.repo.ts';
import { outbox } from './db/schema.ts';
import { SEEDED_LOUNGES } from './domain/lounges.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const invitationSubgraph = defineSubgraph<Loaders>(import.meta.url, {
  name: 'invitation',
  resolvers,
  createLoaders,
  outbox,
  seedReferenceData: (db) => upsertLounges(db, SEEDED_LOUNGES),
});
