import { Kind, print, visit, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

/**
 * The subscription fields of the supergraph and the events behind them. Each field is declared in the SDL of the
 * subgraph that owns its event; the gateway serves it by listening for the event and reading the event's entity
 * through an ordinary query field of the same subgraph, with the subscriber's own token.
 */
export interface LiveField {
  /** The CloudEvents type that makes this field fire. */
  eventType: string;
  /** The subscription argument that selects events, and how it is compared. */
  argument: string;
  normalise(value: string): string;
  /** The same key, read from an event's data. */
  keyOf(data: Record<string, unknown>): unknown;
  /** The query field that reads the delivered entity by id, and the id in the event's data. */
  entityField: string;
  entityIdOf(data: Record<string, unknown>): unknown;
  /**
   * Asked once when subscribing, with the subscriber's token: the owning subgraph answers whether the caller may
   * watch (an error) and whether the thing exists (null). `$key` is the subscription's argument.
   */
  probe: string;
}

const asIs = (value: string) => value.trim();

export const LIVE_FIELDS: Record<string, LiveField> = {
  customerTimeline: {
    eventType: 'cmp.interaction.TimelineEntryAdded',
    argument: 'customerId',
    normalise: (v) => asIs(v).toLowerCase(),
    keyOf: (d) => d.customerId,
    entityField: 'timelineEntry',
    entityIdOf: (d) => d.entryId,
    probe: 'query LiveProbe($key: ID!) { probe: customer(id: $key) { id } }',
  },
  invitationStatusChanged: {
    eventType: 'cmp.invitation.InvitationStatusChanged',
    argument: 'invitationId',
    normalise: (v) => asIs(v).toLowerCase(),
    keyOf: (d) => d.invitationId,
    entityField: 'invitation',
    entityIdOf: (d) => d.invitationId,
    probe: 'query LiveProbe($key: ID!) { probe: invitation(id: $key) { id } }',
  },
  qrScanned: {
    eventType: 'cmp.invitation.QrScanned',
    argument: 'loungeCode',
    normalise: (v) => asIs(v).toUpperCase(),
    keyOf: (d) => d.loungeCode,
    entityField: 'qrScan',
    entityIdOf: (d) => d.scanId,
    probe: 'query LiveProbe($key: String!) { probe: lounge(code: $key) { code scans(first: 1) { pageInfo { hasNextPage } } } }',
  },
};

export const LIVE_EVENT_TYPES = [...new Set(Object.values(LIVE_FIELDS).map((f) => f.eventType))];

/**
 * The query that reads one event's entity with the client's own selection, fragments and variables: the
 * subscription `subscription S($c: ID!) { t: customerTimeline(customerId: $c) { id summary } }` becomes
 * `query S($liveEntityId: ID!) { t: timelineEntry(id: $liveEntityId) { id summary } }`.
 */
export function entityQuery(document: DocumentNode, operation: OperationDefinitionNode, root: FieldNode, live: LiveField): string {
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  const used = new Set<string>();
  const collect = { Variable: (node: { name: { value: string } }) => void used.add(node.name.value) };
  if (root.selectionSet) visit(root.selectionSet, collect);
  for (const fragment of fragments) visit(fragment, collect);
  const query: OperationDefinitionNode = {
    ...operation,
    operation: 'query' as OperationDefinitionNode['operation'],
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'liveEntityId' } },
        type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
      },
      ...(operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value)),
    ],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        {
          ...root,
          name: { kind: Kind.NAME, value: live.entityField },
          alias: root.alias ?? { kind: Kind.NAME, value: root.name.value },
          arguments: [
            {
              kind: Kind.ARGUMENT,
              name: { kind: Kind.NAME, value: 'id' },
              value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'liveEntityId' } },
            },
          ],
        },
      ],
    },
  };
  return print({ kind: Kind.DOCUMENT, definitions: [query, ...fragments] });
}
