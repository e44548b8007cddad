import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.ts';

/**
 * Forwards the caller's own token, trace and request id on every subgraph fetch: subgraphs verify the token
 * again rather than trusting the gateway's network position. A per-subgraph timeout bounds the wait, so a slow
 * subgraph costs only its own fields.
 */
export class AuthenticatedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    url: string,
    private readonly timeoutMs: number,
  ) {
    type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;
    // Node's own fetch (undici: pooled keep-alive connections), bounded by the subgraph timeout.
    const fetcher: Fetcher = (input, init) =>
      fetch(input, { ...(init as RequestInit), signal: AbortSignal.timeout(timeoutMs) }) as unknown as ReturnType<Fetcher>;
    super({ url, fetcher });
  }

  /**
   * A subgraph that is down or too slow answers for its own fields only: the error names the service and the
   * reason, never its address, and the rest of the operation still completes.
   */
  override didEncounterError(error: Error): never {
    if (error instanceof GraphQLError) throw error;
    const timedOut = error.name === 'TimeoutError' || error.name === 'AbortError';
    throw new GraphQLError(
      timedOut
        ? `The ${this.serviceName} service did not answer within ${this.timeoutMs} ms; its fields are missing from this answer`
        : `The ${this.serviceName} service is unavailable; its fields are missing from this answer`,
      { extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.serviceName } },
    );
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('caller' in context)) return;
    if (context.caller) headers.set('authorization', `Bearer ${context.caller.token}`);
    headers.set('traceparent', context.traceparent);
    headers.set('x-request-id', context.requestId);
  }
}
