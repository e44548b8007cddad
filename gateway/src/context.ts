import type { Caller, TokenVerifier } from '@cmp/platform';
import { UnauthenticatedError } from '@cmp/platform';
import { Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';

export interface GatewayContext {
  /** Null only for anonymous schema introspection (the explorer loading its docs). */
  caller: Caller | null;
  requestId: string;
  traceparent: string;
  /**
   * The `x-forwarded-for` chain with the address this request came from appended, forwarded to the subgraphs
   * for their audit records (they take the last hop: the one the gateway saw itself).
   */
  forwardedFor?: string;
}

/** The incoming `x-forwarded-for` chain plus the socket's peer address. */
export function forwardedForOf(req: { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string } }): string {
  const incoming = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(incoming) ? incoming.join(', ') : (incoming ?? '')).slice(0, 1000);
  const peer = req.socket.remoteAddress ?? 'unknown';
  return chain.trim() ? `${chain}, ${peer}` : peer;
}

function onlyMetaFields(selectionSet: SelectionSetNode, document: DocumentNode, depth = 0): boolean {
  if (depth > 10) return false;
  return selectionSet.selections.every((s) => {
    if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
    if (s.kind === Kind.INLINE_FRAGMENT) return onlyMetaFields(s.selectionSet, document, depth + 1);
    const fragment = document.definitions.find(
      (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value,
    );
    return !!fragment && fragment.kind === Kind.FRAGMENT_DEFINITION && onlyMetaFields(fragment.selectionSet, document, depth + 1);
  });
}

/** True when every operation in the request only asks for __schema, __type or __typename. */
export function isIntrospectionOnly(query: unknown): boolean {
  if (typeof query !== 'string' || query.length > 20_000) return false;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return false; // not our concern here: the server answers the syntax error itself once authenticated
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return operations.length > 0 && operations.every((op) => onlyMetaFields(op.selectionSet, document));
}

/**
 * Every operation needs a valid bearer token, except schema introspection while introspection is enabled, so
 * the explorer can show the docs before a token is pasted.
 */
export async function authenticate(
  verifier: TokenVerifier,
  authorization: string | undefined,
  query: unknown,
  allowAnonymousIntrospection: boolean,
): Promise<Caller | null> {
  if (!authorization && allowAnonymousIntrospection && isIntrospectionOnly(query)) return null;
  if (!authorization) throw new UnauthenticatedError();
  return verifier.verify(authorization);
}
