/**
 * Business-hours arithmetic in a calendar's own time zone (daylight saving included), with Intl only: the local
 * wall-clock of an instant, and the instant of a local wall-clock.
 */
export interface BusinessCalendar {
  timeZone: string;
  /** ISO weekdays, 1 = Monday ... 7 = Sunday. */
  days: ReadonlySet<number>;
  openMinute: number;
  closeMinute: number;
}

/** `Europe/Madrid 1-5 09:00-18:00`; null when the text is not one. */
export function parseCalendar(text: string): BusinessCalendar | null {
  const match = /^(\S+) (\d)-(\d) (\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [, timeZone, from, to, oh, om, ch, cm] = match;
  try {
    new Intl.DateTimeFormat('en', { timeZone }).format(0);
  } catch {
    return null;
  }
  const days = new Set<number>();
  for (let d = Number(from); d <= Number(to); d += 1) days.add(d);
  const openMinute = Number(oh) * 60 + Number(om);
  const closeMinute = Number(ch) * 60 + Number(cm);
  if (days.size === 0 || closeMinute <= openMinute || closeMinute > 24 * 60) return null;
  return { timeZone: timeZone!, days, openMinute, closeMinute };
}

interface Local {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function local(instant: Date, timeZone: string): Local {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), weekday, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** The instant when the calendar's zone shows this local date and minute of the day. */
function instantOf(year: number, month: number, day: number, minute: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, 0, minute);
  let instant = guess;
  for (let i = 0; i < 2; i += 1) {
    const seen = local(new Date(instant), timeZone);
    const seenUtc = Date.UTC(seen.year, seen.month - 1, seen.day, 0, seen.minute);
    instant += guess - seenUtc;
  }
  return new Date(instant);
}

/** `from` plus `minutes` of open business time in the calendar. */
export function addBusinessMinutes(from: Date, minutes: number, calendar: BusinessCalendar): Date {
  let cursor = from;
  let left = minutes;
  for (let guard = 0; guard < 3_700; guard += 1) {
    const now = local(cursor, calendar.timeZone);
    const open = calendar.days.has(now.weekday);
    if (open && now.minute < calendar.closeMinute) {
      const start = Math.max(now.minute, calendar.openMinute);
      const startInstant = start === now.minute ? cursor : instantOf(now.year, now.month, now.day, start, calendar.timeZone);
      const available = calendar.closeMinute - start;
      if (left <= available) return new Date(startInstant.getTime() + left * 60_000);
      left -= available;
    }
    // The next local midnight, then around again.
    const next = new Date(Date.UTC(now.year, now.month - 1, now.day + 1));
    cursor = instantOf(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, calendar.timeZone);
  }
  throw new Error('business calendar has no open time within ten years');
}
