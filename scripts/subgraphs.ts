import type { SubgraphDefinition } from '@cmp/platform';
import { customerSubgraph } from '@cmp/subgraph-customer';

/** Every subgraph of the platform, in start order. */
export const ALL_SUBGRAPHS: SubgraphDefinition<unknown>[] = [customerSubgraph] as SubgraphDefinition<unknown>[];
