import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDialect, PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { resultRows } from '../validation.ts';

/** One drizzle handle type for both drivers: repositories take this (or a transaction, which extends it). */
export type Database = PgDatabase<PgQueryResultHKT>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** The Postgres schema this subgraph owns. */
  schema: string;
  migrate(migrationsFolder: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** The subgraph's schema name, also used for its data directory and migrations table. */
  schema: string;
  /** A Postgres URL; without one, embedded PGlite. */
  url?: string | undefined;
  /** Embedded mode: parent directory of the per-subgraph data directory. Omit for an in-memory database. */
  dataDir?: string | undefined;
  poolSize?: number;
  /** Reuse an already open PGlite (tests put several subgraphs in one embedded database). */
  pglite?: PGlite;
}

const migrationsConfig = (schema: string) => ({
  migrationsSchema: 'drizzle',
  // One table per subgraph, so subgraphs sharing a database migrate independently.
  migrationsTable: `__migrations_${schema}`,
});

/** A stable 32-bit key for a Postgres advisory lock named in words, shared by every replica. */
export function advisoryLockKey(name: string): number {
  let hash = 0;
  for (const char of name) hash = (Math.imul(31, hash) + char.charCodeAt(0)) | 0;
  return hash;
}

/** Replicas starting together migrate one at a time. */
const lockKey = (schema: string) => advisoryLockKey(`cmp-migrate:${schema}`);

export async function openEmbedded(dataDir: string | undefined): Promise<PGlite> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  return PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { pg_trgm } });
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { schema } = options;
  if (options.url) {
    const client = postgres(options.url, {
      max: options.poolSize ?? 10,
      idle_timeout: 30,
      connect_timeout: 10,
      onnotice: () => {},
      connection: { application_name: `cmp-${schema}`, search_path: `${schema},public` },
    });
    const db = drizzlePostgres(client) as unknown as Database;
    return {
      db,
      kind: 'postgres',
      schema,
      async migrate(migrationsFolder) {
        // One connection, so the session-level advisory lock covers every migration statement.
        const single = postgres(options.url!, { max: 1, onnotice: () => {} });
        try {
          await single`select pg_advisory_lock(${lockKey(schema)})`;
          await single`create extension if not exists pg_trgm`;
          await migratePostgres(drizzlePostgres(single), { migrationsFolder, ...migrationsConfig(schema) });
          await single`select pg_advisory_unlock(${lockKey(schema)})`;
        } finally {
          await single.end({ timeout: 5 });
        }
      },
      async ping() {
        await client`select 1`;
      },
      async close() {
        await client.end({ timeout: 5 });
      },
    };
  }

  const owned = !options.pglite;
  const pglite = options.pglite ?? (await openEmbedded(options.dataDir ? path.join(options.dataDir, schema) : undefined));
  const db = drizzlePglite(pglite) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    schema,
    async migrate(migrationsFolder) {
      await pglite.exec('create extension if not exists pg_trgm');
      await migratePglite(drizzlePglite(pglite), { migrationsFolder, ...migrationsConfig(schema) });
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      if (owned && !pglite.closed) await pglite.close();
    },
  };
}

const preparedQueries = new WeakMap<object, Map<string, unknown>>();

/**
 * A drizzle query built once per database and kept, for the hot reads: its SQL is rendered once instead of on every
 * call (drizzle's query building showed as a sixth of a subgraph's CPU under load), and on Postgres it runs as a
 * named prepared statement. Values come in through `sql.placeholder`.
 */
export function preparedQuery<Q>(db: Executor, name: string, build: (db: Executor) => Q): Q {
  let byName = preparedQueries.get(db);
  if (!byName) preparedQueries.set(db, (byName = new Map()));
  let query = byName.get(name) as Q | undefined;
  if (query === undefined) byName.set(name, (query = build(db)));
  return query;
}

/**
 * A raw statement written once with `sql.placeholder`s and rendered once per process, for the hot writes (the door's
 * admission, an event projection) that drizzle would otherwise build on every call. `execute(db, values)` runs it on
 * a database or inside a transaction; on Postgres it is a prepared statement (parsed and planned once per
 * connection, then only bound and executed).
 */
export function preparedStatement<T = Record<string, unknown>>(name: string, build: (db: Executor) => SQL) {
  let rendered: { sql: string; params: unknown[] } | undefined;
  return {
    async execute(db: Executor, values: Record<string, unknown>): Promise<T[]> {
      const { session, dialect } = db as unknown as {
        session: { prepareQuery(query: typeof rendered, fields: undefined, name: string, arrayMode: boolean): { execute(values: Record<string, unknown>): Promise<unknown> } };
        dialect: PgDialect;
      };
      rendered ??= dialect.sqlToQuery(build(db));
      return resultRows<T>(await session.prepareQuery(rendered, undefined, name, false).execute(values));
    },
  };
}

/**
 * True for failures of the database connection itself (refused, reset, the server shutting down or restarting),
 * as opposed to a statement the database rejected: worth waiting out, never a reason to give up on an event.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 6; current = current.cause as typeof current, depth++) {
    const code = typeof current.code === 'string' ? current.code : '';
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|CONNECTION_(CLOSED|ENDED|DESTROYED)|CONNECT_TIMEOUT|57P0[1-3]|08\w{3})$/.test(code)) return true;
  }
  return false;
}
