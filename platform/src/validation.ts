import { sql, type SQL } from 'drizzle-orm';
import { BadUserInputError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** IDs are UUIDs; anything else is the caller's mistake, not a database error. */
export function requireUuid(field: string, value: string): string {
  if (!UUID.test(value)) throw new BadUserInputError(field, 'must be a UUID');
  return value.toLowerCase();
}

export function requireLength(field: string, value: string, { min = 0, max }: { min?: number; max: number }): string {
  const trimmed = value.trim();
  if (trimmed.length < min) throw new BadUserInputError(field, min === 1 ? 'is required' : `must be at least ${min} characters`);
  if (trimmed.length > max) throw new BadUserInputError(field, `must be at most ${max} characters`);
  return trimmed;
}

/** Rows from `db.execute`, which postgres.js returns as an array and PGlite as `{ rows }`. */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** The next value of a Postgres sequence (`schema.name`), for numbers formatted in code (CUS-000001, IB000000001). */
export async function nextSequenceValue(db: { execute: (query: SQL) => Promise<unknown> }, sequence: string): Promise<number> {
  const result = await db.execute(sql`select nextval(${sequence}::regclass)::text as n`);
  return Number(resultRows<{ n: string }>(result)[0]!.n);
}
