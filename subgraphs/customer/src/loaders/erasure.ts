import { alignMany, alignOne, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findErasureSections, findErasuresByIds } from '../db/erasure.repo.ts';
import type { ErasureRow, ErasureSectionRow } from '../db/schema.ts';

export function erasureLoaders(db: Database) {
  return {
    erasureById: new DataLoader<string, ErasureRow | null>(async (ids) => alignOne(ids, await findErasuresByIds(db, ids), (e) => e.id)),
    erasureSectionsByErasure: new DataLoader<string, ErasureSectionRow[]>(async (ids) =>
      alignMany(ids, await findErasureSections(db, ids), (s) => s.erasureId),
    ),
  };
}
