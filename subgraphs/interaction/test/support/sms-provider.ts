import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProviderRequest {
  at: number;
  authorization: string | undefined;
  body: { from?: string; to?: string; body?: string; reference?: string };
  /** What the stand-in answered: an HTTP status, or 0 when it dropped the connection. */
  answered: number;
  id: string | null;
}

/**
 * The SMS provider's API on loopback: `POST /messages` answers 201 `{ id }`, records every request, and on
 * demand fails the next requests with an HTTP status or is down (drops every connection).
 */
export async function startSmsProvider() {
  const requests: ProviderRequest[] = [];
  const failures: number[] = [];
  let down = false;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ProviderRequest['body'];
    const record: ProviderRequest = { at: Date.now(), authorization: req.headers.authorization, body, answered: 0, id: null };
    requests.push(record);
    if (down) {
      req.socket.destroy();
      return;
    }
    const failure = failures.shift();
    if (failure) {
      record.answered = failure;
      res.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'provider trouble' }));
      return;
    }
    record.answered = 201;
    record.id = `SM${randomUUID().replaceAll('-', '')}`;
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: record.id, status: 'queued' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`,
    requests,
    /** The next requests fail with these statuses, in order. */
    fail: (...statuses: number[]) => failures.push(...statuses),
    setDown: (value: boolean) => {
      down = value;
    },
    forReference: (reference: string) => requests.filter((r) => r.body.reference === reference),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
