import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from './context.ts';

/**
 * Forwards the caller's own token, trace and request id on every subgraph fetch: subgraphs verify the token
 * again rather than trusting the gateway's network position. A per-subgraph timeout bounds the wait, so a slow
 * subgraph costs only its own fields.
 */
export class AuthenticatedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, timeoutMs: number) {
    type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;
    // Node's own fetch (undici: pooled keep-alive connections), bounded by the subgraph timeout.
    const fetcher: Fetcher = (input, init) =>
      fetch(input, { ...(init as RequestInit), signal: AbortSignal.timeout(timeoutMs) }) as unknown as ReturnType<Fetcher>;
    super({ url, fetcher });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('caller' in context)) return;
    if (context.caller) headers.set('authorization', `Bearer ${context.caller.token}`);
    headers.set('traceparent', context.traceparent);
    headers.set('x-request-id', context.requestId);
  }
}
