import type { EventConsumer } from '@cmp/platform';
import { addTimelineEntry } from '../domain/timeline.ts';
import { PROJECTED_EVENT_TYPES, timelineEntryFor } from '../domain/timeline-projection.ts';

/** Projects other subgraphs' events onto the customer timeline; idempotent through the entry's event id. */
export const timelineConsumer: EventConsumer = {
  name: 'interaction.timeline',
  types: PROJECTED_EVENT_TYPES,
  // Entries are keyed by event and read in time order: each source subgraph's order (so each aggregate's) is enough.
  orderedWithin: 'source',
  async handle(db, event) {
    const entry = timelineEntryFor(event);
    if (!entry) return;
    // One statement: no transaction around it.
    await addTimelineEntry(db, { source: 'cmp.interaction', traceparent: event.traceparent ?? null }, entry);
  },
};
