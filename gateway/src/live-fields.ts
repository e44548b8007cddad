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
