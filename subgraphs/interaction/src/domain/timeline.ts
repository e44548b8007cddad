import { BadUserInputError } from '@cmp/platform';
import type { TimelineEntryRow } from '../db/schema.ts';
import type { TimelinePage } from '../db/timeline.repo.ts';
import type { TimelineEntryType } from './types.ts';

export const MAX_PAGE_SIZE = 100;

export function encodeCursor(entry: Pick<TimelineEntryRow, 'occurredAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([entry.occurredAt.toISOString(), entry.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { occurredAt: Date; id: string } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const occurredAt = new Date(iso);
    if (Number.isNaN(occurredAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('malformed');
    return { occurredAt, id };
  } catch {
    throw new BadUserInputError('after', 'is not a cursor returned by this field');
  }
}

export function timelinePage(first: number | null | undefined, after: string | null | undefined, types: readonly TimelineEntryType[] | null | undefined): TimelinePage {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new BadUserInputError('first', `must be from 1 to ${MAX_PAGE_SIZE}`);
  }
  return { limit, after: after ? decodeCursor(after) : null, types: types?.length ? [...new Set(types)].sort() : null };
}

/** A page of a connection from `limit + 1` rows. */
export function toConnection(rows: TimelineEntryRow[], limit: number) {
  const page = rows.slice(0, limit);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node), node })),
    pageInfo: { hasNextPage: rows.length > limit, endCursor: page.length ? encodeCursor(page.at(-1)!) : null },
  };
}
