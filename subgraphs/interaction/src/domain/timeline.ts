import { decodeCursor, normaliseFilter, requirePageSize } from '@cmp/platform';
import type { TimelinePage } from '../db/timeline.repo.ts';
import type { TimelineEntryType } from './types.ts';

export const MAX_PAGE_SIZE = 100;

export function timelinePage(
  first: number | null | undefined,
  after: string | null | undefined,
  types: readonly TimelineEntryType[] | null | undefined,
): TimelinePage {
  const cursor = after ? decodeCursor('after', after) : null;
  return {
    limit: requirePageSize('first', first, 20, MAX_PAGE_SIZE),
    after: cursor ? { occurredAt: cursor.at, id: cursor.id } : null,
    types: normaliseFilter(types),
  };
}
