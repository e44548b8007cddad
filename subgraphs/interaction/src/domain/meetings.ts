import { randomUUID } from 'node:crypto';
import {
  BadUserInputError,
  ConflictError,
  NotFoundError,
  recordEvent,
  refuseErasedCustomer,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { lockMeeting, insertMeeting, updateMeeting } from '../db/delivery.repo.ts';
import type { CalendarMethod, MeetingAttendee, MeetingRow } from '../db/delivery.schema.ts';
import { erasedCustomers, outbox } from '../db/schema.ts';
import { meetingCalendar } from '../delivery/ics.ts';
import { logOutbound, queueEmail, requireEmailAddress } from './delivery.ts';
import { addTimelineEntry } from './timeline.ts';

export const MAX_ATTENDEES = 50;

export interface ScheduleMeetingInput {
  customerId: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  inPerson: boolean;
  location?: string | null;
  virtualLink?: string | null;
  attendees: readonly MeetingAttendee[];
  description?: string | null;
}

function requireHttpsLink(field: string, value: string | null | undefined): string {
  if (value == null || value.trim() === '') throw new BadUserInputError(field, 'is required for a virtual meeting');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new BadUserInputError(field, 'is not a URL');
  }
  if (url.protocol !== 'https:') throw new BadUserInputError(field, 'must be an https link');
  if (url.href.length > 2000) throw new BadUserInputError(field, 'must be at most 2000 characters');
  return url.href;
}

export function validateMeeting(input: ScheduleMeetingInput) {
  const customerId = requireUuid('customerId', input.customerId);
  const title = requireLength('title', input.title, { min: 1, max: 200 });
  if (/[\r\n]/.test(title)) throw new BadUserInputError('title', 'must be one line');
  if (Number.isNaN(input.startsAt.getTime())) throw new BadUserInputError('startsAt', 'is not a valid time');
  if (Number.isNaN(input.endsAt.getTime())) throw new BadUserInputError('endsAt', 'is not a valid time');
  if (input.endsAt.getTime() <= input.startsAt.getTime()) throw new BadUserInputError('endsAt', 'must be after startsAt');
  if (input.endsAt.getTime() - input.startsAt.getTime() > 24 * 3_600_000) throw new BadUserInputError('endsAt', 'a meeting lasts at most 24 hours');
  let location: string | null = null;
  let virtualLink: string | null = null;
  if (input.inPerson) {
    if (input.location == null || input.location.trim() === '') throw new BadUserInputError('location', 'is required for a meeting in person');
    location = requireLength('location', input.location, { min: 1, max: 500 });
    if (input.virtualLink != null && input.virtualLink.trim() !== '') virtualLink = requireHttpsLink('virtualLink', input.virtualLink);
  } else {
    virtualLink = requireHttpsLink('virtualLink', input.virtualLink);
    if (input.location != null && input.location.trim() !== '') location = requireLength('location', input.location, { max: 500 });
  }
  if (input.attendees.length === 0) throw new BadUserInputError('attendees', 'a meeting needs at least one attendee');
  if (input.attendees.length > MAX_ATTENDEES) throw new BadUserInputError('attendees', `at most ${MAX_ATTENDEES} attendees`);
  const seen = new Set<string>();
  const attendees = input.attendees.map((a, i) => {
    const name = requireLength(`attendees[${i}].name`, a.name, { min: 1, max: 200 });
    if (/[\r\n]/.test(name)) throw new BadUserInputError(`attendees[${i}].name`, 'must be one line');
    const email = requireEmailAddress(`attendees[${i}].email`, a.email);
    if (seen.has(email.toLowerCase())) throw new BadUserInputError(`attendees[${i}].email`, `${email} is already an attendee`);
    seen.add(email.toLowerCase());
    return { name, email };
  });
  const description = input.description == null || input.description.trim() === '' ? null : requireLength('description', input.description, { max: 5000 });
  return { customerId, title, startsAt: input.startsAt, endsAt: input.endsAt, inPerson: input.inPerson, location, virtualLink, attendees, description };
}

const when = (meeting: MeetingRow) => `${meeting.startsAt.toISOString().slice(0, 16).replace('T', ' ')}–${meeting.endsAt.toISOString().slice(11, 16)} UTC`;

function invitationText(meeting: MeetingRow, method: CalendarMethod, reason: string | null): string {
  const where = meeting.inPerson ? `Where: ${meeting.location}` : `Join: ${meeting.virtualLink}`;
  const lines =
    method === 'CANCEL'
      ? [`The meeting "${meeting.title}" on ${when(meeting)} is cancelled.`, ...(reason ? [`Reason: ${reason}`] : [])]
      : [`You are invited to "${meeting.title}".`, `When: ${when(meeting)}`, where, ...(meeting.description ? ['', meeting.description] : [])];
  return `${lines.join('\n')}\n`;
}

/** One e-mail per attendee carrying the meeting's calendar object, through the never-lost queue. */
async function queueInvitations(tx: Executor, meeting: MeetingRow, method: CalendarMethod, sentBy: string, reason: string | null, now: Date): Promise<void> {
  const calendar = meetingCalendar(meeting, method, now);
  const subject = method === 'CANCEL' ? `Cancelled: ${meeting.title} (${when(meeting)})` : `Invitation: ${meeting.title} (${when(meeting)})`;
  for (const attendee of meeting.attendees) {
    await queueEmail(tx, {
      customerId: meeting.customerId,
      interactionId: meeting.interactionId,
      to: attendee.email,
      toName: attendee.name,
      subject,
      text: invitationText(meeting, method, reason),
      html: null,
      sentBy,
      extra: { calendarMethod: method, calendar, meetingId: meeting.id },
    });
  }
}

/**
 * Records a meeting as a MEETING interaction (with its timeline entry) and queues an RFC 5545 invitation
 * (METHOD:REQUEST) to every attendee, in one transaction.
 */
export async function scheduleMeeting(db: Database, caller: Caller, events: EventContext, organizer: string, input: ScheduleMeetingInput, now = new Date()): Promise<MeetingRow> {
  const valid = validateMeeting(input);
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, valid.customerId);
    const interaction = await logOutbound(
      tx,
      caller,
      events,
      { customerId: valid.customerId, channel: 'MEETING', subject: valid.title, summary: `${valid.title}, ${valid.inPerson ? `at ${valid.location}` : 'online'}, ${valid.attendees.length} attendee(s)` },
      now,
    );
    const id = randomUUID();
    const meeting = await insertMeeting(tx, {
      id,
      ...valid,
      interactionId: interaction.id,
      uid: `${id}@cmp.interaction`,
      sequence: 0,
      organizer,
      scheduledBy: caller.subject,
    });
    await queueInvitations(tx, meeting, 'REQUEST', caller.subject, null, now);
    await recordEvent(tx, outbox, events, {
      type: 'cmp.interaction.MeetingScheduled',
      aggregateType: 'Meeting',
      aggregateId: meeting.id,
      customerId: meeting.customerId,
      data: {
        meetingId: meeting.id,
        interactionId: meeting.interactionId,
        customerId: meeting.customerId,
        startsAt: meeting.startsAt.toISOString(),
        endsAt: meeting.endsAt.toISOString(),
        attendees: meeting.attendees.length,
      },
    });
    return meeting;
  });
}

/** Cancels a meeting: SEQUENCE goes up and every attendee receives METHOD:CANCEL with the same UID. */
export async function cancelMeeting(db: Database, caller: Caller, events: EventContext, meetingId: string, reason: string | null | undefined, now = new Date()): Promise<MeetingRow> {
  const id = requireUuid('id', meetingId);
  const why = reason == null || reason.trim() === '' ? null : requireLength('reason', reason, { max: 1000 });
  return db.transaction(async (tx) => {
    const current = await lockMeeting(tx, id);
    if (!current) throw new NotFoundError('Meeting', id);
    if (current.status === 'CANCELLED') throw new ConflictError(`Meeting ${id} is already cancelled`, { status: 'CANCELLED' });
    const meeting = await updateMeeting(tx, id, { status: 'CANCELLED', sequence: current.sequence + 1, cancelledAt: now, cancelReason: why });
    await queueInvitations(tx, meeting, 'CANCEL', caller.subject, why, now);
    await addTimelineEntry(tx, events, {
      customerId: meeting.customerId,
      occurredAt: now,
      type: 'COMMUNICATION',
      summary: `Meeting cancelled: ${meeting.title}${why ? ` (${why})` : ''}`.slice(0, 200),
      sourceType: 'Interaction',
      sourceId: meeting.interactionId,
      actor: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.interaction.MeetingCancelled',
      aggregateType: 'Meeting',
      aggregateId: meeting.id,
      customerId: meeting.customerId,
      data: { meetingId: meeting.id, interactionId: meeting.interactionId, customerId: meeting.customerId, reason: why },
    });
    return meeting;
  });
}
