import { BadUserInputError } from './errors.ts';

/** Keyset position of a row ordered by (time desc, id desc). */
export interface KeysetPosition {
  at: Date;
  id: string;
}

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

/** Reads a cursor this API handed out; anything else is the caller's mistake, named by `field`. */
export function decodeCursor(field: string, cursor: string): KeysetPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null; // not JSON: reported below like every other malformed cursor
  }
  const [iso, id] = Array.isArray(parsed) ? parsed : [];
  const at = new Date(typeof iso === 'string' ? iso : Number.NaN);
  if (Number.isNaN(at.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new BadUserInputError(field, 'is not a cursor returned by this field');
  }
  return { at, id };
}

export function requirePageSize(field: string, value: number | null | undefined, fallback: number, max: number): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) throw new BadUserInputError(field, `must be from 1 to ${max}`);
  return size;
}

/** A connection page from `limit + 1` rows fetched newest first. */
export function toConnection<T>(rows: T[], limit: number, position: (row: T) => KeysetPosition) {
  const page = rows.slice(0, limit);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(position(node)), node })),
    pageInfo: { hasNextPage: rows.length > limit, endCursor: page.length ? encodeCursor(position(page.at(-1)!)) : null },
  };
}
