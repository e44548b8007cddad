import { connect } from 'nats';
import { eventStreams } from '../events/nats-bus.ts';

/** Removes what a spec's event namespace left on a shared NATS server: its event and dead-letter streams. */
export async function deleteEventStreams(url: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    for (const stream of Object.values(eventStreams(namespace))) await jsm.streams.delete(stream).catch(() => {});
  } finally {
    await nc.close();
  }
}
