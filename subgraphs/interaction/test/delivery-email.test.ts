import { randomUUID } from 'node:crypto';
import { createLogger, parseSettings } from '@cmp/platform';
import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundMessages } from '../src/db/delivery.schema.ts';
import { interactions, outbox, timelineEntries } from '../src/db/schema.ts';
import { interactionSubgraph } from '../src/index.ts';
import { eventually, startSmtpSink, type SmtpSink } from './support/smtp.ts';

const SEND = /* GraphQL */ `
  mutation($input: SendEmailInput!) {
    sendEmail(input: $input) {
      id channel status recipient subject text html attempts templateCode templateVariables { name value }
      attachments { fileName contentType sizeBytes } interaction { id channel direction subject } customer { id }
    }
  }
`;
const MESSAGE = 'query($id: ID!) { message(id: $id) { id status attempts lastError providerMessageId sentAt nextAttemptAt } }';
const DEFINE = /* GraphQL */ `
  mutation($input: DefineEmailTemplateInput!) {
    defineEmailTemplate(input: $input) { code subject text html requiredVariables variables version }
  }
`;
const BOUNCE = 'mutation($id: ID!, $reason: String!) { recordEmailBounce(messageId: $id, reason: $reason) { id status lastError } }';

const logger = createLogger({ name: 'test', level: 'silent' });
const agent = callerWith('SupportAgent');
const admin = callerWith('Admin');
const marketing = callerWith('MarketingManager');
const FROM = 'clientes@iberia.example';

let h: SubgraphHarness;
let sink: SmtpSink;
let background: { stop(): Promise<void> };

beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startSubgraphHarness(interactionSubgraph);
  const settings = parseSettings({
    SMTP_URL: sink.url,
    SMTP_FROM: FROM,
    DELIVERY_INTERVAL_MS: '40',
    DELIVERY_BACKOFF_MS: '60',
    DELIVERY_MAX_ATTEMPTS: '3',
    DELIVERY_TIMEOUT_MS: '5000',
    // The breaker has its own spec; here every failure must reach the provider.
    DELIVERY_BREAK_AFTER: '1000',
  });
  interactionSubgraph.configure!(settings, logger);
  background = await interactionSubgraph.start!({ db: h.handle.db, settings, logger });
});
afterAll(async () => {
  await background?.stop();
  await h?.close();
  await sink?.close();
});

const email = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  to: 'ana.garcia@example.com',
  toName: 'Ana García',
  subject: 'Your refund for IB3166',
  text: 'Dear Ana,\nthe refund of EUR 180 is on its way.',
  ...overrides,
});

async function send(input: Record<string, unknown>, caller = agent) {
  const result = await h.run(caller, SEND, { input });
  expect(result.errors).toBeUndefined();
  return result.data.sendEmail;
}

const settled = (id: string) =>
  eventually(
    async () => (await h.run(agent, MESSAGE, { id })).data.message,
    (m) => !['QUEUED', 'SENDING'].includes(m.status),
  );

describe('sendEmail over SMTP', () => {
  it('answers QUEUED at once, logs the EMAIL interaction, and the dispatcher delivers subject, bodies and attachments', async () => {
    const customerId = randomUUID();
    const pdf = Buffer.from('%PDF-1.4 refund receipt EUR 180');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const queued = await send(
      email(customerId, {
        html: '<p>Dear Ana,</p><p>the refund of <b>EUR 180</b> is on its way.</p>',
        attachments: [
          { fileName: 'receipt.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') },
          { fileName: 'boarding pass.png', contentType: 'image/png', contentBase64: png.toString('base64') },
        ],
      }),
    );
    expect(queued).toMatchObject({
      channel: 'EMAIL',
      status: 'QUEUED',
      attempts: 0,
      recipient: 'ana.garcia@example.com',
      subject: 'Your refund for IB3166',
      interaction: { channel: 'EMAIL', direction: 'OUTBOUND', subject: 'Your refund for IB3166' },
      customer: { id: customerId },
      attachments: [
        { fileName: 'receipt.pdf', contentType: 'application/pdf', sizeBytes: pdf.length },
        { fileName: 'boarding pass.png', contentType: 'image/png', sizeBytes: png.length },
      ],
    });

    const mail = await sink.waitForMessage(queued.id);
    expect(mail.to).toEqual(['ana.garcia@example.com']);
    expect(mail.from).toBe(FROM);
    expect(mail.parsed.subject).toBe('Your refund for IB3166');
    expect(mail.parsed.to).toMatchObject({ value: [{ address: 'ana.garcia@example.com', name: 'Ana García' }] });
    expect(mail.parsed.text?.trim()).toBe('Dear Ana,\nthe refund of EUR 180 is on its way.');
    expect(mail.parsed.html).toContain('<b>EUR 180</b>');
    expect(mail.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString('base64')])).toEqual([
      ['receipt.pdf', 'application/pdf', pdf.toString('base64')],
      ['boarding pass.png', 'image/png', png.toString('base64')],
    ]);

    const sent = await settled(queued.id);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1, lastError: null, nextAttemptAt: null });
    expect(sent.providerMessageId).toBe(mail.parsed.messageId);
    const [interaction] = await h.handle.db.select().from(interactions).where(eq(interactions.id, queued.interaction.id));
    expect(interaction).toMatchObject({ customerId, channel: 'EMAIL', direction: 'OUTBOUND' });
    const entries = await h.handle.db.select().from(timelineEntries).where(eq(timelineEntries.sourceId, queued.interaction.id));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.summary).toMatch(/^Outbound e-mail: Your refund for IB3166/);
    const events = (await h.handle.db.select().from(outbox)).filter((e) => e.customerId === customerId).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['cmp.interaction.InteractionLogged', 'cmp.interaction.MessageSent']));
    const listed = await h.run(agent, customerEntities('messages(channel: EMAIL) { edges { node { id status } } }'), {
      representations: [{ __typename: 'Customer', id: customerId }],
    });
    expect(listed.data._entities[0].messages.edges).toEqual([{ node: { id: queued.id, status: 'SENT' } }]);
    const viaInteraction = await h.run(agent, 'query($id: ID!) { interaction(id: $id) { messages { id recipient } meeting { id } } }', { id: queued.interaction.id });
    expect(viaInteraction.data.interaction).toEqual({ messages: [{ id: queued.id, recipient: 'ana.garcia@example.com' }], meeting: null });
    const own = await h.run(callerWith('Customer', { customerId }), MESSAGE, { id: queued.id });
    expect(own.data.message).toMatchObject({ id: queued.id, status: 'SENT' });
    const other = await h.run(callerWith('Customer', { customerId: randomUUID() }), MESSAGE, { id: queued.id });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('retries a server that refuses for a while, with backoff, and sends the message once', async () => {
    await sink.refuse(2, 451);
    const queued = await send(email(randomUUID(), { subject: 'Retried after 451' }));
    const sent = await settled(queued.id);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 3, lastError: null });
    expect(await sink.waitFor(queued.id)).toHaveLength(1);
  });

  it('marks the message FAILED with the error after the last attempt, and keeps it', async () => {
    await sink.refuse(-1, 451);
    try {
      const queued = await send(email(randomUUID(), { subject: 'Never accepted' }));
      const failed = await settled(queued.id);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 3 });
      expect(failed.lastError).toMatch(/451/);
      const [row] = await h.handle.db.select().from(outboundMessages).where(eq(outboundMessages.id, queued.id));
      expect(row).toMatchObject({ subject: 'Never accepted', textBody: expect.stringContaining('EUR 180'), status: 'FAILED' });
      const event = (await h.handle.db.select().from(outbox)).find((e) => e.aggregateId === queued.id && e.type === 'cmp.interaction.MessageFailed');
      expect(event?.data).toMatchObject({ messageId: queued.id, attempts: 3, error: expect.stringMatching(/451/) });
    } finally {
      await sink.refuse(0);
    }
  });

  it('does not retry a permanent refusal (5xx)', async () => {
    await sink.refuse(1, 550);
    const queued = await send(email(randomUUID(), { subject: 'Unknown mailbox' }));
    const failed = await settled(queued.id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(failed.lastError).toMatch(/550/);
  });

  it('records a bounce of a sent e-mail; a message not yet sent cannot bounce', async () => {
    const queued = await send(email(randomUUID(), { subject: 'Will bounce' }));
    await settled(queued.id);
    const bounced = await h.run(agent, BOUNCE, { id: queued.id, reason: '550 5.1.1 mailbox does not exist' });
    expect(bounced.data.recordEmailBounce).toEqual({ id: queued.id, status: 'BOUNCED', lastError: '550 5.1.1 mailbox does not exist' });
    const event = (await h.handle.db.select().from(outbox)).find((e) => e.aggregateId === queued.id && e.type === 'cmp.interaction.MessageBounced');
    expect(event?.data).toMatchObject({ reason: '550 5.1.1 mailbox does not exist' });
    const [failed] = await h.handle.db.select().from(outboundMessages).where(eq(outboundMessages.status, 'FAILED')).limit(1);
    expect((await h.run(agent, BOUNCE, { id: failed!.id, reason: 'late bounce' })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});

describe('e-mail templates', () => {
  const template = {
    code: 'refund-confirmation',
    subject: 'Your refund, {{firstName}}',
    text: 'Dear {{firstName}},\nEUR {{amount}} is on its way. {{note}}',
    html: '<p>Dear {{ firstName }},</p><p>EUR {{amount}} is on its way.</p>',
    requiredVariables: ['firstName', 'amount'],
  };

  it('lets Admin and MarketingManager define templates, replacing one raises its version', async () => {
    expect((await h.run(agent, DEFINE, { input: template })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const first = await h.run(marketing, DEFINE, { input: template });
    expect(first.data.defineEmailTemplate).toMatchObject({ code: 'refund-confirmation', version: 1, requiredVariables: ['firstName', 'amount'] });
    expect(first.data.defineEmailTemplate.variables.sort()).toEqual(['amount', 'firstName', 'note']);
    const again = await h.run(admin, DEFINE, { input: template });
    expect(again.data.defineEmailTemplate.version).toBe(2);
    const typo = await h.run(admin, DEFINE, { input: { ...template, code: 'typo', requiredVariables: ['firstname'] } });
    expect(typo.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requiredVariables[0]' });
    const noBody = await h.run(admin, DEFINE, { input: { code: 'empty', subject: 'Hello' } });
    expect(noBody.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    const listed = await h.run(agent, '{ emailTemplates { code version requiredVariables } }');
    expect(listed.data.emailTemplates).toEqual([{ code: 'refund-confirmation', version: 2, requiredVariables: ['firstName', 'amount'] }]);
    expect((await h.run(callerWith('Viewer'), '{ emailTemplates { code } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('personalises subject and bodies, escaping values in HTML only', async () => {
    await h.run(admin, DEFINE, { input: template });
    const queued = await send({
      customerId: randomUUID(),
      to: 'oscar@example.com',
      template: { code: 'refund-confirmation', variables: [{ name: 'firstName', value: 'Óscar <O&B>' }, { name: 'amount', value: '180.00' }] },
    });
    expect(queued).toMatchObject({
      subject: 'Your refund, Óscar <O&B>',
      text: 'Dear Óscar <O&B>,\nEUR 180.00 is on its way. ',
      html: '<p>Dear Óscar &lt;O&amp;B&gt;,</p><p>EUR 180.00 is on its way.</p>',
      templateCode: 'refund-confirmation',
      templateVariables: [
        { name: 'amount', value: '180.00' },
        { name: 'firstName', value: 'Óscar <O&B>' },
      ],
    });
    const mail = await sink.waitForMessage(queued.id);
    expect(mail.parsed.subject).toBe('Your refund, Óscar <O&B>');
    expect(mail.parsed.text).toContain('Dear Óscar <O&B>,');
    expect(mail.parsed.html).toContain('Dear Óscar &lt;O&amp;B&gt;,');
  });

  it('refuses a send missing a required variable, naming it, and an unknown template', async () => {
    await h.run(admin, DEFINE, { input: template });
    const missing = await h.run(agent, SEND, {
      input: { customerId: randomUUID(), to: 'oscar@example.com', template: { code: 'refund-confirmation', variables: [{ name: 'firstName', value: 'Óscar' }] } },
    });
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'template.variables.amount', variable: 'amount' });
    const unknown = await h.run(agent, SEND, { input: { customerId: randomUUID(), to: 'oscar@example.com', template: { code: 'nope' } } });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'template.code' });
    const both = await h.run(agent, SEND, { input: { customerId: randomUUID(), to: 'oscar@example.com', subject: 'Hi', template: { code: 'refund-confirmation' } } });
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'subject' });
  });
});

describe('sendEmail validation', () => {
  const file = (i: number, bytes = 16, contentType = 'application/pdf') => ({
    fileName: `file-${i}.pdf`,
    contentType,
    contentBase64: Buffer.alloc(bytes, i).toString('base64'),
  });

  it.each([
    ['to', { to: 'not-an-address' }],
    ['to', { to: `${'a'.repeat(250)}@example.com` }],
    ['customerId', { customerId: 'someone' }],
    ['subject', { subject: undefined }],
    ['subject', { subject: 'Two\nlines' }],
    ['text', { text: undefined }],
    ['attachments[5]', { attachments: [1, 2, 3, 4, 5, 6].map((i) => file(i)) }],
    ['attachments[0].contentType', { attachments: [file(0, 16, 'application/x-msdownload')] }],
    ['attachments[0].fileName', { attachments: [{ ...file(0), fileName: '../../etc/passwd' }] }],
    ['attachments[1].contentBase64', { attachments: [file(0), { ...file(1), contentBase64: 'not base64!' }] }],
    ['attachments[2]', { attachments: [file(0, 4 * 1024 * 1024), file(1, 4 * 1024 * 1024), file(2, 3 * 1024 * 1024)] }],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, overrides) => {
    const before = (await h.handle.db.select({ id: outboundMessages.id }).from(outboundMessages)).length;
    const result = await h.run(agent, SEND, { input: email(randomUUID(), overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await h.handle.db.select({ id: outboundMessages.id }).from(outboundMessages)).length).toBe(before);
  });

  it('accepts five attachments of 10 MB in total', async () => {
    const queued = await send(email(randomUUID(), { subject: 'Five files', attachments: [0, 1, 2, 3, 4].map((i) => file(i, 2 * 1024 * 1024)) }));
    expect(queued.attachments).toHaveLength(5);
    const mail = await sink.waitForMessage(queued.id);
    expect(mail.parsed.attachments.map((a) => a.size)).toEqual([0, 1, 2, 3, 4].map(() => 2 * 1024 * 1024));
  }, 90_000);

  it('needs the privilege to log interactions', async () => {
    const result = await h.run(callerWith('Viewer'), SEND, { input: email(randomUUID()) });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('embedded mode (no SMTP_URL)', () => {
  let embedded: SubgraphHarness;
  let dispatcher: { stop(): Promise<void> };
  beforeAll(async () => {
    embedded = await startSubgraphHarness(interactionSubgraph);
    const settings = parseSettings({ DELIVERY_INTERVAL_MS: '40' });
    dispatcher = await interactionSubgraph.start!({ db: embedded.handle.db, settings, logger });
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await embedded?.close();
  });

  it('captures the complete e-mail instead of sending it, for Admin to read', async () => {
    const result = await embedded.run(agent, SEND, {
      input: email(randomUUID(), { attachments: [{ fileName: 'note.txt', contentType: 'text/plain', contentBase64: Buffer.from('hello').toString('base64') }] }),
    });
    const id = result.data.sendEmail.id;
    const sent = await eventually(
      async () => (await embedded.run(agent, MESSAGE, { id })).data.message,
      (m) => m.status === 'SENT',
    );
    const page = await embedded.run(admin, '{ capturedMessages(first: 5) { edges { node { messageId channel recipient subject text raw } } pageInfo { hasNextPage } } }');
    const [captured] = page.data.capturedMessages.edges.map((e: any) => e.node);
    expect(captured).toMatchObject({ messageId: id, channel: 'EMAIL', recipient: 'ana.garcia@example.com', subject: 'Your refund for IB3166' });
    expect(sent.providerMessageId).toMatch(/^captured:/);
    const parsed = await simpleParser(captured.raw);
    expect(parsed.subject).toBe('Your refund for IB3166');
    expect(parsed.text?.trim()).toBe('Dear Ana,\nthe refund of EUR 180 is on its way.');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['note.txt', 'hello']]);
    expect((await embedded.run(agent, '{ capturedMessages { edges { node { id } } } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
