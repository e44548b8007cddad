import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { CalendarMethod, MeetingRow } from '../db/delivery.schema.ts';

/**
 * The RFC 5545 object for a meeting, as Google Calendar and Outlook expect from an organizer: METHOD:REQUEST to
 * invite (or update, with a higher SEQUENCE), METHOD:CANCEL with the same UID to call it off. Times are UTC.
 */
export function meetingCalendar(meeting: MeetingRow, method: CalendarMethod, stamp: Date): string {
  const calendar = ical({
    prodId: { company: 'CMP', product: 'Customer Management Platform', language: 'EN' },
    method: method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
    timezone: 'UTC',
  });
  calendar.createEvent({
    id: meeting.uid,
    sequence: meeting.sequence,
    stamp,
    start: meeting.startsAt,
    end: meeting.endsAt,
    timezone: 'UTC',
    summary: meeting.title,
    description: meeting.description ?? null,
    location: meeting.inPerson ? meeting.location : meeting.virtualLink,
    url: meeting.inPerson ? null : meeting.virtualLink,
    organizer: { name: 'CMP', email: meeting.organizer },
    status: method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    attendees: meeting.attendees.map((a) => ({
      name: a.name,
      email: a.email,
      role: ICalAttendeeRole.REQ,
      status: ICalAttendeeStatus.NEEDSACTION,
      rsvp: true,
    })),
  });
  return calendar.toString();
}
