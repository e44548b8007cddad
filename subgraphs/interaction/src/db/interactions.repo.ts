import type { Executor } from '@cmp/platform';
import { inArray } from 'drizzle-orm';
import { interactions, type InteractionRow } from './schema.ts';

export async function insertInteraction(db: Executor, values: typeof interactions.$inferInsert): Promise<InteractionRow> {
  const [row] = await db.insert(interactions).values(values).returning();
  return row!;
}

export function findInteractionsByIds(db: Executor, ids: readonly string[]): Promise<InteractionRow[]> {
  return db.select().from(interactions).where(inArray(interactions.id, [...ids]));
}
