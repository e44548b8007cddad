import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { SubgraphName } from '../config.ts';
import { openDatabase, openEmbedded, type DatabaseHandle } from '../db/database.ts';
import { prepareDatabase, type SubgraphDefinition } from '../server/subgraph.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of the migrated template database on TEST_DATABASE_URL's server, when one is configured. */
    cmpTemplateDatabase: string | null;
    /** The NATS server (JetStream) of this run, found or started by the global setup. */
    cmpNatsUrl: string;
  }
}

export interface TestDatabase {
  handles: Record<SubgraphName, DatabaseHandle>;
  /** Postgres URL of this test file's own database, or undefined in embedded mode. */
  url: string | undefined;
  /** The in-memory database in embedded mode. */
  pglite: PGlite | undefined;
  close(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function cloneTemplate(serverUrl: string, template: string): Promise<string> {
  const name = `cmp_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`create database "${name}" template "${template}"`);
        return name;
      } catch (error) {
        // 55006: another file is cloning the same template this instant; wait and try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
}

/**
 * A database for one test file, so files run in parallel without truncating each other's data.
 * With TEST_DATABASE_URL: a fresh Postgres database cloned from the migrated template. Without: in-memory PGlite.
 * A configured server that cannot be reached fails the test; nothing is skipped.
 */
export async function createTestDatabase(definitions: SubgraphDefinition<unknown>[]): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const handles = {} as Record<SubgraphName, DatabaseHandle>;
  if (serverUrl) {
    const template = inject('cmpTemplateDatabase');
    if (!template) throw new Error('TEST_DATABASE_URL is set but the template database was not prepared (global setup)');
    const name = await cloneTemplate(serverUrl, template);
    const url = withDatabase(serverUrl, name);
    for (const d of definitions) handles[d.name] = await openDatabase({ schema: d.name, url, poolSize: 20 });
    return {
      handles,
      url,
      pglite: undefined,
      async close() {
        for (const h of Object.values(handles)) await h.close();
        await dropOrCreate(serverUrl, `drop database if exists "${name}" with (force)`);
      },
    };
  }
  const pglite = await openEmbedded(undefined);
  for (const d of definitions) {
    handles[d.name] = await openDatabase({ schema: d.name, pglite });
    await prepareDatabase(d, handles[d.name]);
  }
  return {
    handles,
    url: undefined,
    pglite,
    async close() {
      await pglite.close();
    },
  };
}

async function dropOrCreate(serverUrl: string, statement: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

export function dropTemplateDatabase(serverUrl: string, template: string): Promise<void> {
  return dropOrCreate(serverUrl, `drop database if exists "${template}" with (force)`);
}

/** Builds the template database once per test run (vitest global setup). */
export async function prepareTemplateDatabase(
  serverUrl: string,
  definitions: SubgraphDefinition<unknown>[],
): Promise<string> {
  // Unique per run, so two runs against one server (a developer's and CI's) never share a template.
  const template = `cmp_template_${randomBytes(6).toString('hex')}`;
  await dropOrCreate(serverUrl, `create database "${template}"`);
  const url = withDatabase(serverUrl, template);
  try {
    for (const d of definitions) {
      const handle = await openDatabase({ schema: d.name, url, poolSize: 1 });
      try {
        await prepareDatabase(d, handle);
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    await dropTemplateDatabase(serverUrl, template);
    throw error;
  }
  return template;
}
