import type { SubgraphDefinition } from '@cmp/platform';
import { caseSubgraph } from '@cmp/subgraph-case';
import { customerSubgraph } from '@cmp/subgraph-customer';
import { interactionSubgraph } from '@cmp/subgraph-interaction';
import { invitationSubgraph } from '@cmp/subgraph-invitation';
import { loyaltySubgraph } from '@cmp/subgraph-loyalty';

/** Every subgraph of the platform, in start order: loyalty before invitation, which asks it about eligibility. */
export const ALL_SUBGRAPHS = [
  customerSubgraph,
  interactionSubgraph,
  caseSubgraph,
  loyaltySubgraph,
  invitationSubgraph,
] as SubgraphDefinition<unknown>[];
