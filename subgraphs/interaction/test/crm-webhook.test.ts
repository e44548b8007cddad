import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createLogger, type CloudEvent } from '@cmp/platform';
import { startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmWebhookConsumer, signature } from '../src/connectors/crm-webhook.ts';
import { webhookDeliveries } from '../src/db/schema.ts';
import { interactionSubgraph } from '../src/index.ts';

const SECRET = 'crm-shared-secret-0123456789';

/** The CRM's endpoint on loopback: checks the signature as a receiver would; the spec decides how it answers. */
async function startCrm() {
  const received: { headers: http.IncomingHttpHeaders; body: string; validSignature: boolean }[] = [];
  const crm = { received, answers: [] as number[], close: async () => {}, url: '' };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const timestamp = String(req.headers['x-cmp-timestamp']);
    received.push({ headers: req.headers, body, validSignature: req.headers['x-cmp-signature'] === signature(SECRET, timestamp, body) });
    res.writeHead(crm.answers.shift() ?? 202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  crm.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cmp`;
  crm.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return crm;
}

const issued = (): CloudEvent => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'cmp.invitation',
  type: 'cmp.invitation.InvitationIssued',
  subject: `Invitation/${randomUUID()}`,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  customerid: randomUUID(),
  data: { loungeCode: 'MAD-VELAZQUEZ', flightNumber: 'IB6253', guests: 1 },
});

let h: SubgraphHarness;
let crm: Awaited<ReturnType<typeof startCrm>>;
const logger = createLogger({ name: 'test', level: 'silent' });

beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
  crm = await startCrm();
});
afterAll(async () => {
  await h?.close();
  await crm?.close();
});

describe('the CRM webhook', () => {
  const consumer = () => crmWebhookConsumer({ url: crm.url, secret: SECRET, eventTypes: ['cmp.invitation.InvitationIssued'], logger, initialBackoffMs: 10, maxAttempts: 3 });

  it('delivers the event as a signed CloudEvent, retrying a failing CRM, and never twice', async () => {
    const event = issued();
    crm.answers.push(503, 500);
    const webhook = consumer();
    await webhook.handle(h.handle.db, event);
    await webhook.handle(h.handle.db, event); // redelivered by the bus
    const mine = crm.received.filter((r) => r.headers['x-cmp-event-id'] === event.id);
    expect(mine).toHaveLength(3);
    expect(mine.every((r) => r.validSignature)).toBe(true);
    expect(JSON.parse(mine[2]!.body)).toEqual(event);
    expect(mine[2]!.headers['content-type']).toBe('application/cloudevents+json');
    const [delivery] = await h.handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id));
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 3, lastError: null });
  });

  it('records a delivery that failed every retry, with its payload, and moves on; a refusal is not retried', async () => {
    const down = issued();
    crm.answers.push(503, 503, 503);
    await consumer().handle(h.handle.db, down);
    const [failed] = await h.handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, down.id));
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3, lastError: 'CRM answered HTTP 503', payload: down });

    const refused = issued();
    crm.answers.push(400);
    await consumer().handle(h.handle.db, refused);
    const [record] = await h.handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, refused.id));
    expect(record).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'CRM refused the event with HTTP 400' });
  });
});
