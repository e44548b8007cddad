import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from './platform-harness.ts';

/** A graphql-ws client of the gateway, as an app would open one: the token in `connection_init`. */
export function liveClient(httpUrl: string, token: string | null): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export interface LiveSubscription {
  /** Every `next` payload so far. */
  results: any[];
  /** Set when the server ended the subscription with errors. */
  errors: any[] | null;
  completed: boolean;
  /** Waits until at least `count` results arrived, and returns them. */
  received(count: number, timeoutMs?: number): Promise<any[]>;
  stop(): void;
}

export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}): LiveSubscription {
  const live: LiveSubscription = {
    results: [],
    errors: null,
    completed: false,
    received: (count, timeoutMs = 5_000) =>
      eventually(async () => {
        if (live.results.length < count) throw new Error(`${live.results.length} of ${count} results; errors: ${JSON.stringify(live.errors)}`);
        return live.results;
      }, timeoutMs),
    stop: () => dispose(),
  };
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (value) => void live.results.push(value),
      error: (error) => {
        live.errors = Array.isArray(error) ? error : [error];
      },
      complete: () => {
        live.completed = true;
      },
    },
  );
  return live;
}

/** How many subscriptions of `field` the gateway at `httpUrl` serves now (its /metrics). */
export async function subscriptionCount(httpUrl: string, field: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', httpUrl))).text();
  const line = text.split('\n').find((l) => l.startsWith(`cmp_gateway_subscriptions{field="${field}"}`));
  return Number(line?.split(' ').pop() ?? 0);
}

/** Waits until the gateway at `httpUrl` serves at least `count` subscriptions of `field`. */
export async function subscribersReady(httpUrl: string, field: string, count: number, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => {
    const served = await subscriptionCount(httpUrl, field);
    if (served < count) throw new Error(`${served} of ${count} ${field} subscriptions`);
  }, timeoutMs);
}
