import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SubgraphDefinition } from '@cmp/platform';
import { parse } from 'graphql';
import { upsertLounges } from './db/invitations.repo.ts';
import { outbox } from './db/schema.ts';
import { SEEDED_LOUNGES } from './domain/lounges.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';

export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export const invitationSubgraph: SubgraphDefinition<Loaders> = {
  name: 'invitation',
  typeDefs,
  resolvers,
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  createLoaders,
  outbox,
  seedReferenceData: (db) => upsertLounges(db, SEEDED_LOUNGES),
};
