import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function listen(server: http.Server, port: number, host: string, path = '/graphql'): Promise<RunningServer> {
  // Behind a load balancer, keep-alive must outlive its idle timeout or requests race a closing socket.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    port: actual,
    url: `http://${shownHost}:${actual}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** Keeps a valid incoming W3C traceparent or starts a new trace. */
export function traceparentFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value && TRACEPARENT.test(value)) return value;
  // randomUUID draws on Node's cached entropy; two randomBytes calls cost a system call each, per subscriber per event.
  const trace = randomUUID().replaceAll('-', '');
  return `00-${trace}-${randomUUID().replaceAll('-', '').slice(0, 16)}-01`;
}

const REQUEST_ID = /^[\w.:-]{8,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}
