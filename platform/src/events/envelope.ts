/** CloudEvents 1.0 structured JSON, with the W3C trace and the customer as extensions. */
export interface CloudEvent<T = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  /** The producing subgraph, e.g. `cmp.case`. */
  source: string;
  /** e.g. `cmp.case.CustomerComplaintReceived`. */
  type: string;
  /** The aggregate the event is about: `Case/<id>`. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
  traceparent?: string;
  /** Extension: the customer the event concerns, for routing and GDPR fan-out. */
  customerid?: string;
}
