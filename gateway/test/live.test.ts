import type { CloudEvent } from '@cmp/platform';
import { getOperationAST, parse, type FieldNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LIVE_FIELDS, entityQuery } from '../src/live-fields.ts';
import { LiveStream } from '../src/live-stream.ts';

const event = (n: number) => ({ id: String(n), data: { n } }) as unknown as CloudEvent;

describe('the query that reads an event for a subscriber', () => {
  it("keeps the client's alias, fragments and the variables its selection uses, and drops the rest", () => {
    const document = parse(`
      subscription Card($id: ID!, $first: Int, $unused: String) {
        card: invitationStatusChanged(invitationId: $id) { id ...Scans }
      }
      fragment Scans on Invitation { scans(first: $first) { outcome } }
    `);
    const operation = getOperationAST(document)!;
    const query = entityQuery(document, operation, operation.selectionSet.selections[0] as FieldNode, LIVE_FIELDS.invitationStatusChanged!);
    expect(query.replace(/\s+/g, ' ')).toBe(
      'query Card($liveEntityId: ID!, $first: Int) { card: invitation(id: $liveEntityId) { id ...Scans } } fragment Scans on Invitation { scans(first: $first) { outcome } }',
    );
  });

  it('names the result after the subscription field when the client gave no alias', () => {
    const document = parse('subscription { qrScanned(loungeCode: "MAD-DALI") { outcome } }');
    const operation = getOperationAST(document)!;
    expect(entityQuery(document, operation, operation.selectionSet.selections[0] as FieldNode, LIVE_FIELDS.qrScanned!).replace(/\s+/g, ' ')).toBe(
      'query ($liveEntityId: ID!) { qrScanned: qrScan(id: $liveEntityId) { outcome } }',
    );
  });
});

describe("a subscriber's stream", () => {
  it('delivers events in order, one resolved at a time', async () => {
    const stream = new LiveStream(async (e) => ({ data: { n: (e.data as { n: number }).n } }), 10, () => {}, () => {});
    stream.push(event(1));
    stream.push(event(2));
    expect(await stream.next()).toEqual({ value: { data: { n: 1 } }, done: false });
    expect(await stream.next()).toEqual({ value: { data: { n: 2 } }, done: false });
  });

  it('skips events that resolve to nothing', async () => {
    const stream = new LiveStream(async (e) => ((e.data as { n: number }).n === 1 ? null : { data: {} }), 10, () => {}, () => {});
    stream.push(event(1));
    stream.push(event(2));
    expect(await stream.next()).toEqual({ value: { data: {} }, done: false });
  });

  it('ends a waiting next() at once when returned, and unregisters once', async () => {
    let ended = 0;
    const stream = new LiveStream(async () => ({ data: {} }), 10, () => {}, () => ended++);
    const waiting = stream.next();
    await stream.return();
    await stream.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(ended).toBe(1);
    stream.push(event(1));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('reports overflow instead of queueing beyond its bound', () => {
    let overflows = 0;
    const stream = new LiveStream(async () => ({ data: {} }), 2, () => overflows++, () => {});
    for (let i = 0; i < 5; i++) stream.push(event(i));
    expect(overflows).toBe(3);
  });
});
