import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, post, startTestPlatform, type TestPlatform } from './platform-harness.ts';

let t: TestPlatform;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestPlatform();
  admin = bearer(await t.token('Admin'));
});
afterAll(() => t?.close());

describe('e-mail attachments through the gateway', () => {
  it('carries 10 MB of attachments over HTTP to the interaction subgraph, and the sent message holds them whole', async () => {
    const created = await post(t.url, 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
      input: { type: 'INDIVIDUAL', firstName: 'Ana', lastName: 'Adjunta', primaryEmail: `ana.${Date.now()}@example.com` },
    }, admin);
    const customerId = created.data.createCustomer.id;
    // Five files of 2 MB (the limits: at most 5, 10 MB together), as a client sends them: base64 in the JSON body.
    const files = Array.from({ length: 5 }, (_, i) => ({ fileName: `scan-${i}.pdf`, contentType: 'application/pdf', bytes: randomBytes(2_000_000) }));
    const sent = await post(t.url, 'mutation($input: SendEmailInput!) { sendEmail(input: $input) { id status } }', {
      input: {
        customerId,
        to: 'ana.adjunta@example.com',
        subject: 'Your documents',
        text: 'The scans you asked for are attached.',
        attachments: files.map((f) => ({ fileName: f.fileName, contentType: f.contentType, contentBase64: f.bytes.toString('base64') })),
      },
    }, admin);
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendEmail.status).toBe('QUEUED');

    // Embedded mode captures what SMTP would have received: the whole MIME message, each file in base64.
    const raw = await eventually(async () => {
      const captured = await post(t.url, '{ capturedMessages(first: 10) { edges { node { subject raw } } } }', {}, admin);
      const mine = captured.data.capturedMessages.edges.map((e: any) => e.node).find((n: any) => n.subject === 'Your documents');
      expect(mine).toBeDefined();
      return mine.raw as string;
    }, 20_000);
    for (const f of files) {
      expect(raw).toContain(`filename=${f.fileName}`);
      expect(raw.replace(/\r?\n/g, '')).toContain(f.bytes.toString('base64'));
    }
  });
});
