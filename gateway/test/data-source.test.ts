import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthenticatedDataSource, subgraphFetcher } from '../src/data-source.ts';

// A subgraph on loopback that answers, never answers, or sends its headers and then stalls, by path.
let server: http.Server;
let url: string;
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/silent') return void held.push(res);
    if (req.url === '/stalls') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
      return void held.push(res);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' });
    res.end('{"data":{"ok":true}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const fetchOnce = (path: string) => subgraphFetcher(300)(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

it('returns the answer, status and headers of a subgraph that answers', async () => {
  const response = await fetchOnce('/');
  expect(response.ok).toBe(true);
  expect(response.status).toBe(200);
  expect(response.headers.get('x-request-id')).toBe('r1');
  expect(await response.json()).toEqual({ data: { ok: true } });
});

it.each([
  ['never answers', '/silent'],
  ['sends its headers and then stalls', '/stalls'],
])('gives up on a subgraph that %s after the timeout, as a timeout', async (_, path) => {
  const started = Date.now();
  const error = await fetchOnce(path).then(() => null, (e: Error) => e);
  expect(error?.name).toBe('TimeoutError');
  expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  expect(Date.now() - started).toBeLessThan(2_000);
});

it('names the service and the timeout, and nothing of its address, when a subgraph is too slow', async () => {
  const source = new AuthenticatedDataSource('loyalty', `${url}/silent`, 300);
  const error = await fetchOnce('/silent').then(() => null, (e: Error) => e);
  let reported: unknown;
  try {
    source.didEncounterError(error!);
  } catch (e) {
    reported = e;
  }
  expect(reported).toMatchObject({
    message: 'The loyalty service did not answer within 300 ms; its fields are missing from this answer',
    extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'loyalty' },
  });
});
