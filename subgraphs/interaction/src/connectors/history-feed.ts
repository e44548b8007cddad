import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ALL_EVENTS, type CloudEvent, type EventConsumer } from '@cmp/platform';
import { TIMELINE_ENTRY_ADDED } from '../domain/timeline.ts';

/** `<dir>/2026/11/25/14.ndjson` for an event of 14:xx UTC on 25 November 2026. */
export function feedFile(dir: string, event: CloudEvent): string {
  const time = new Date(event.time).toISOString();
  return path.join(dir, time.slice(0, 4), time.slice(5, 7), time.slice(8, 10), `${time.slice(11, 13)}.ndjson`);
}

/**
 * The data platform's history feed: every domain event of every subgraph, one CloudEvent per line, in a file per
 * UTC hour of the event, so every customer transaction can be traced from the data platform. Delivery is at least
 * once: a redelivered event can appear twice, and the platform de-duplicates by the CloudEvents `id`. One line is
 * written with one append, so replicas writing to one directory do not interleave lines.
 */
export function historyFeedConsumer(dir: string): EventConsumer {
  return {
    name: 'interaction.history-feed',
    types: [ALL_EVENTS],
    async handle(_db, event) {
      // The timeline's own announcements repeat what the feed already holds.
      if (event.type === TIMELINE_ENTRY_ADDED) return;
      const file = feedFile(dir, event);
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify(event)}\n`, { flag: 'a' });
    },
  };
}
