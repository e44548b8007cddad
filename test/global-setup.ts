import { dropTemplateDatabase, prepareTemplateDatabase } from '@cmp/platform/testing';
import type { TestProject } from 'vitest/node';
import { ALL_SUBGRAPHS } from '../scripts/subgraphs.ts';
import { provideNats } from './nats-server.ts';

/**
 * With TEST_DATABASE_URL, migrate a template database once; each test file clones it (Immich's approach), so
 * files run in parallel on real Postgres without truncating each other's data. Without it, files use PGlite.
 * The event-bus specs get a real NATS server (see provideNats): there is no embedded stand-in for it.
 */
export default async function setup(project: TestProject) {
  const nats = await provideNats();
  project.provide('cmpNatsUrl', nats.url);
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    project.provide('cmpTemplateDatabase', null);
    return () => nats.stop();
  }
  const template = await prepareTemplateDatabase(serverUrl, ALL_SUBGRAPHS);
  project.provide('cmpTemplateDatabase', template);
  return async () => {
    await dropTemplateDatabase(serverUrl, template);
    await nats.stop();
  };
}
