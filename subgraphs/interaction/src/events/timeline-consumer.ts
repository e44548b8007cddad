import type { EventConsumer } from '@cmp/platform';
import { addTimelineEntry } from '../domain/timeline.ts';
import { PROJECTED_EVENT_TYPES, timelineEntryFor } from '../domain/timeline-projection.ts';

/** Projects other subgraphs' events onto the customer timeline; idempotent through the entry's event id. */
export const timelineConsumer: EventConsumer = {
  name: 'interaction.timeline',
  types: PROJECTED_EVENT_TYPES,
  async handle(db, event) {
    const entry = timelineEntryFor(event);
    if (!entry) return;
    // One statement: no transaction around it.
    await addTimelineEntry(db, { source: 'cmp.interaction', traceparent: event.traceparent ?? null }, entry);
  },
};
