import type { Database } from '../db/database.ts';

interface QueryLogger {
  logQuery(query: string, params: unknown[]): void;
}

/**
 * The SQL statements `db` runs while `work` runs, from drizzle's query logger on the database's session (every
 * statement drizzle prepares goes through it, on postgres.js and PGlite alike). For specs that prove batching:
 * one statement per list field and level, never one per parent.
 */
export async function recordQueries<T>(db: Database, work: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
  const session = (db as unknown as { session: { logger: QueryLogger } }).session;
  const previous = session.logger;
  const queries: string[] = [];
  session.logger = { logQuery: (query) => queries.push(query) };
  try {
    return { result: await work(), queries };
  } finally {
    session.logger = previous;
  }
}
