import { readFileSync } from 'node:fs';

/** The committed supergraph the gateway serves. */
export function readSupergraphSdl(): string {
  return readFileSync(new URL('./supergraph.graphql', import.meta.url), 'utf8');
}

export { composeSupergraph } from './compose.ts';
