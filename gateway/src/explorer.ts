import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

const DEFAULT_QUERY = `# Docs load without a token. To run operations:
#   pnpm token --role Admin
# then under Headers: { "Authorization": "Bearer <token>" }
# and under Variables: { "id": "<a customer id>" }
query Customer360($id: ID!) {
  customer(id: $id) {
    customerNumber
    displayName
    segment
    loyalty { tier memberNumber aviosBalance }
    cases { caseNumber status subject }
    invitations { status loungeCode validUntil }
    timeline(first: 10) { edges { node { occurredAt type summary } } }
  }
}
`;

let cached: string | undefined;

/**
 * A self-contained GraphiQL: the whole bundle is inlined, so the explorer works on a machine with no internet
 * (Apollo's default landing page loads from a CDN).
 */
export function explorerHtml(): string {
  cached ??= renderGraphiQL({
    title: 'Customer Platform · GraphQL explorer',
    endpoint: '/graphql',
    defaultQuery: DEFAULT_QUERY,
    subscriptionsProtocol: 'WS',
  });
  return cached;
}
