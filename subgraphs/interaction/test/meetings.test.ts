import { randomUUID } from 'node:crypto';
import { createLogger, parseSettings } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { eq } from 'drizzle-orm';
import ical from 'node-ical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetings } from '../src/db/delivery.schema.ts';
import { outbox, timelineEntries } from '../src/db/schema.ts';
import { interactionSubgraph } from '../src/index.ts';
import { eventually, startSmtpSink, type ReceivedMail, type SmtpSink } from './support/smtp.ts';

const SCHEDULE = /* GraphQL */ `
  mutation($input: ScheduleMeetingInput!) {
    scheduleMeeting(input: $input) {
      id title startsAt endsAt inPerson location virtualLink attendees { name email } status uid sequence
      interaction { id channel direction subject } customer { id } messages { id recipient status subject }
    }
  }
`;
const CANCEL = 'mutation($id: ID!, $reason: String) { cancelMeeting(id: $id, reason: $reason) { id status sequence uid cancelReason messages { id recipient subject } } }';
const MEETING = 'query($id: ID!) { meeting(id: $id) { id messages { id status recipient } } }';

const logger = createLogger({ name: 'test', level: 'silent' });
const agent = callerWith('SalesRep');
const ORGANIZER = 'reuniones@iberia.example';

let h: SubgraphHarness;
let sink: SmtpSink;
let background: { stop(): Promise<void> };

beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startSubgraphHarness(interactionSubgraph);
  const settings = parseSettings({ SMTP_URL: sink.url, SMTP_FROM: ORGANIZER, DELIVERY_INTERVAL_MS: '40', DELIVERY_BACKOFF_MS: '50' });
  interactionSubgraph.configure!(settings, logger);
  background = await interactionSubgraph.start!({ db: h.handle.db, settings, logger });
});
afterAll(async () => {
  await background?.stop();
  await h?.close();
  await sink?.close();
});

const startsAt = new Date(Date.UTC(2026, 11, 14, 9, 30));
const endsAt = new Date(Date.UTC(2026, 11, 14, 10, 15));
const meeting = (overrides: Record<string, unknown> = {}) => ({
  customerId: randomUUID(),
  title: 'Corporate travel agreement review',
  startsAt: startsAt.toISOString(),
  endsAt: endsAt.toISOString(),
  inPerson: false,
  virtualLink: 'https://meet.example.com/iberia-review',
  attendees: [
    { name: 'Ana García', email: 'ana.garcia@example.com' },
    { name: 'Luis Pérez', email: 'luis.perez@example.com' },
  ],
  description: 'Yearly review of the corporate fares.',
  ...overrides,
});

/** The invitation an attendee received: the e-mail, the text/calendar alternative and invite.ics, parsed back. */
async function invitationOf(messageId: string) {
  const mail: ReceivedMail = await sink.waitForMessage(messageId);
  const alternative = mail.parsed.attachments.find((a) => a.contentType === 'text/calendar');
  const file = mail.parsed.attachments.find((a) => a.filename === 'invite.ics');
  expect(alternative).toBeDefined();
  expect(file).toMatchObject({ contentType: 'application/ics', contentDisposition: 'attachment' });
  expect(file!.content.toString('utf8')).toBe(alternative!.content.toString('utf8'));
  const text = alternative!.content.toString('utf8');
  const parsed = ical.sync.parseICS(text);
  const event = Object.values(parsed).find((c) => c?.type === 'VEVENT') as ical.VEvent & { sequence: number | string; attendee: unknown };
  const method = (alternative!.headers.get('content-type') as { params: Record<string, string> }).params.method;
  return { mail, text, calendar: parsed.vcalendar as unknown as { method: string }, event, method };
}

const unfolded = (text: string) => text.replace(/\r?\n[ \t]/g, '');

describe('scheduleMeeting', () => {
  it('stores the meeting as a MEETING interaction and e-mails every attendee an RFC 5545 REQUEST', async () => {
    const input = meeting();
    const result = await h.run(agent, SCHEDULE, { input });
    expect(result.errors).toBeUndefined();
    const scheduled = result.data.scheduleMeeting;
    expect(scheduled).toMatchObject({
      title: 'Corporate travel agreement review',
      inPerson: false,
      location: null,
      virtualLink: 'https://meet.example.com/iberia-review',
      status: 'SCHEDULED',
      sequence: 0,
      uid: `${scheduled.id}@cmp.interaction`,
      interaction: { channel: 'MEETING', direction: 'OUTBOUND', subject: 'Corporate travel agreement review' },
      customer: { id: input.customerId },
    });
    expect(new Date(scheduled.startsAt).toISOString()).toBe(startsAt.toISOString());
    // Read after the commit: the dispatcher may already be sending them.
    expect(scheduled.messages.map((m: any) => m.recipient).sort()).toEqual(['ana.garcia@example.com', 'luis.perez@example.com']);
    expect(scheduled.messages.every((m: any) => ['QUEUED', 'SENDING', 'SENT'].includes(m.status))).toBe(true);
    const entries = await h.handle.db.select().from(timelineEntries).where(eq(timelineEntries.sourceId, scheduled.interaction.id));
    expect(entries).toHaveLength(1);
    const events = (await h.handle.db.select().from(outbox)).filter((e) => e.customerId === input.customerId).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['cmp.interaction.InteractionLogged', 'cmp.interaction.MeetingScheduled']));

    for (const message of scheduled.messages) {
      const { mail, text, calendar, event, method } = await invitationOf(message.id);
      expect(mail.to).toEqual([message.recipient]);
      expect(mail.from).toBe(ORGANIZER);
      expect(mail.parsed.subject).toBe('Invitation: Corporate travel agreement review (2026-12-14 09:30–10:15 UTC)');
      expect(mail.parsed.text).toContain('Join: https://meet.example.com/iberia-review');
      expect(method).toBe('REQUEST');
      expect(calendar.method).toBe('REQUEST');
      expect(event.uid).toBe(scheduled.uid);
      expect(Number(event.sequence)).toBe(0);
      expect(new Date(event.start).toISOString()).toBe(startsAt.toISOString());
      expect(new Date(event.end!).toISOString()).toBe(endsAt.toISOString());
      expect(event.summary).toBe('Corporate travel agreement review');
      expect(event.location).toBe('https://meet.example.com/iberia-review');
      const lines = unfolded(text);
      expect(lines).toMatch(/^DTSTAMP:\d{8}T\d{6}Z$/m);
      expect(lines).toMatch(/^DTSTART:20261214T093000Z$/m);
      expect(lines).toMatch(/^DTEND:20261214T101500Z$/m);
      expect(lines).toMatch(new RegExp(`^ORGANIZER;CN="CMP":mailto:${ORGANIZER}$`, 'm'));
      const attendees = lines.split(/\r?\n/).filter((l) => l.startsWith('ATTENDEE'));
      expect(attendees).toHaveLength(2);
      for (const [j, a] of input.attendees.entries()) {
        expect(attendees[j]).toContain('ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE');
        expect(attendees[j]!.toLowerCase()).toContain(`mailto:${a.email}`);
      }
    }
    const sent = await eventually(
      async () => (await h.run(agent, MEETING, { id: scheduled.id })).data.meeting.messages,
      (messages: any[]) => messages.every((m) => m.status === 'SENT'),
    );
    expect(sent).toHaveLength(2);
  });

  it('puts the location of a meeting in person in the invitation', async () => {
    const result = await h.run(agent, SCHEDULE, {
      input: meeting({ inPerson: true, virtualLink: null, location: 'Iberia HQ, Calle Martínez Villergas 49, Madrid', attendees: [{ name: 'Ana', email: 'ana@example.com' }] }),
    });
    expect(result.errors).toBeUndefined();
    const [message] = result.data.scheduleMeeting.messages;
    const { event, mail } = await invitationOf(message.id);
    expect(event.location).toBe('Iberia HQ, Calle Martínez Villergas 49, Madrid');
    expect(mail.parsed.text).toContain('Where: Iberia HQ, Calle Martínez Villergas 49, Madrid');
  });

  it.each([
    ['endsAt', { endsAt: startsAt.toISOString() }],
    ['endsAt', { endsAt: new Date(startsAt.getTime() - 60_000).toISOString() }],
    ['location', { inPerson: true, virtualLink: null, location: null }],
    ['virtualLink', { virtualLink: null }],
    ['virtualLink', { virtualLink: 'http://meet.example.com/plain' }],
    ['virtualLink', { virtualLink: 'not a link' }],
    ['attendees', { attendees: [] }],
    ['attendees', { attendees: Array.from({ length: 51 }, (_, i) => ({ name: `Guest ${i}`, email: `guest${i}@example.com` })) }],
    ['attendees[1].email', { attendees: [{ name: 'Ana', email: 'ana@example.com' }, { name: 'Bad', email: 'bad@' }] }],
    ['attendees[1].email', { attendees: [{ name: 'Ana', email: 'ana@example.com' }, { name: 'Ana again', email: 'ANA@example.com' }] }],
    ['attendees[0].name', { attendees: [{ name: ' ', email: 'ana@example.com' }] }],
    ['title', { title: '' }],
    ['customerId', { customerId: 'someone' }],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, overrides) => {
    const before = (await h.handle.db.select({ id: meetings.id }).from(meetings)).length;
    const result = await h.run(agent, SCHEDULE, { input: meeting(overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await h.handle.db.select({ id: meetings.id }).from(meetings)).length).toBe(before);
  });

  it('accepts 50 attendees and needs the privilege to log interactions', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => ({ name: `Guest ${i}`, email: `guest${i}@example.com` }));
    const result = await h.run(agent, SCHEDULE, { input: meeting({ attendees: fifty }) });
    expect(result.data.scheduleMeeting.messages).toHaveLength(50);
    expect((await h.run(callerWith('Viewer'), SCHEDULE, { input: meeting() })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('cancelMeeting', () => {
  it('sends METHOD:CANCEL with the same UID and a higher SEQUENCE to every attendee, once', async () => {
    const scheduled = (await h.run(agent, SCHEDULE, { input: meeting() })).data.scheduleMeeting;
    const cancelled = await h.run(agent, CANCEL, { id: scheduled.id, reason: 'The customer asked to move it to January' });
    expect(cancelled.errors).toBeUndefined();
    const result = cancelled.data.cancelMeeting;
    expect(result).toMatchObject({ status: 'CANCELLED', sequence: 1, uid: scheduled.uid, cancelReason: 'The customer asked to move it to January' });
    const cancellations = result.messages.filter((m: any) => m.subject.startsWith('Cancelled:'));
    expect(cancellations.map((m: any) => m.recipient).sort()).toEqual(['ana.garcia@example.com', 'luis.perez@example.com']);
    for (const message of cancellations) {
      const { calendar, event, method, mail } = await invitationOf(message.id);
      expect(method).toBe('CANCEL');
      expect(calendar.method).toBe('CANCEL');
      expect(event.uid).toBe(scheduled.uid);
      expect(Number(event.sequence)).toBe(1);
      expect(event.status).toBe('CANCELLED');
      expect(mail.parsed.text).toContain('Reason: The customer asked to move it to January');
    }
    const again = await h.run(agent, CANCEL, { id: scheduled.id });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await h.run(agent, CANCEL, { id: randomUUID() })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const events = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === scheduled.id).map((e) => e.type);
    expect(events.sort()).toEqual(['cmp.interaction.MeetingCancelled', 'cmp.interaction.MeetingScheduled']);
  });
});
