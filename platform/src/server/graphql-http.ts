import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../logger.ts';

export interface GraphqlHttpOptions<TContext> {
  /** Bodies above this answer 413 before they are read whole. */
  maxRequestBytes: number;
  context(req: IncomingMessage, body: unknown, search: URLSearchParams): Promise<TContext>;
  logger: Logger;
}

function sendError(res: ServerResponse, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

/**
 * Where a NUL character hides in the variables (`input.firstName`), or null. No text of this platform holds one,
 * and Postgres refuses it in text columns: refused here, for every field at once, rather than failing in a driver.
 */
function nulPath(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 32 || value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const found = nulPath(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/** A NUL in the document itself: raw, or as a GraphQL string escape in an inline argument. */
const NUL_IN_DOCUMENT = /\u0000|\\u0000/i;

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** True for the requests the GraphQL handler serves: `/graphql` (with or without a query string). */
export function isGraphqlPath(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return url === '/graphql' || url.startsWith('/graphql?');
}

/**
 * Apollo Server on Node's own HTTP server, without a framework in the request path: the body is read within the
 * size limit and parsed once, the request handed to `executeHTTPGraphQLRequest`, the answer written in one call.
 * Express still serves every other route (health, readiness, the explorer, REST); the GraphQL path is the hot one
 * (a door scan crosses it twice, gateway and subgraph), and the framework's router and body parser were a tenth
 * of its cost. Behaviour is that of `@as-integrations/express5`, which does the same on top of Express.
 */
export function graphqlHttpHandler<TContext extends BaseContext>(apollo: ApolloServer<TContext>, options: GraphqlHttpOptions<TContext>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const method = (req.method ?? 'GET').toUpperCase();
      const search = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?')) : '';
      let body: unknown;
      if (method === 'POST') {
        const text = await readBody(req, options.maxRequestBytes);
        if (text === null) return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${options.maxRequestBytes} bytes`);
        try {
          body = text.length ? JSON.parse(text) : undefined;
        } catch {
          return sendError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON');
        }
      }
      const request = (body ?? Object.fromEntries(new URLSearchParams(search))) as { query?: unknown; variables?: unknown };
      let variables = request.variables;
      if (typeof variables === 'string') {
        try {
          variables = JSON.parse(variables);
        } catch {
          variables = undefined; // Apollo Server answers malformed variables itself
        }
      }
      const nulField = typeof request.query === 'string' && NUL_IN_DOCUMENT.test(request.query) ? 'query' : nulPath(variables, '');
      if (nulField !== null && !Array.isArray(body)) {
        return sendError(res, 400, 'BAD_USER_INPUT', `${nulField}: text must not contain NUL characters`, { field: nulField });
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search, body },
        context: () => options.context(req, body, new URLSearchParams(search)),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      options.logger.error({ err: error }, 'GraphQL request failed outside Apollo Server');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.end();
    }
  };
}
