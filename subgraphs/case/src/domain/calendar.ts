import { isTimeZone, localTime, zonedInstant } from '@cmp/platform';

/** Business-hours arithmetic in a calendar's own time zone (daylight saving included). */
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
  if (!isTimeZone(timeZone!)) return null;
  const days = new Set<number>();
  for (let d = Number(from); d <= Number(to); d += 1) days.add(d);
  const openMinute = Number(oh) * 60 + Number(om);
  const closeMinute = Number(ch) * 60 + Number(cm);
  if (days.size === 0 || closeMinute <= openMinute || closeMinute > 24 * 60) return null;
  return { timeZone: timeZone!, days, openMinute, closeMinute };
}

/** `from` plus `minutes` of open business time in the calendar. */
export function addBusinessMinutes(from: Date, minutes: number, calendar: BusinessCalendar): Date {
  let cursor = from;
  let left = minutes;
  for (let guard = 0; guard < 3_700; guard += 1) {
    const now = localTime(cursor, calendar.timeZone);
    const open = calendar.days.has(now.weekday);
    if (open && now.minute < calendar.closeMinute) {
      const start = Math.max(now.minute, calendar.openMinute);
      const startInstant = start === now.minute ? cursor : zonedInstant(now.year, now.month, now.day, start, calendar.timeZone);
      const available = calendar.closeMinute - start;
      if (left <= available) return new Date(startInstant.getTime() + left * 60_000);
      left -= available;
    }
    // The next local midnight, then around again.
    const next = new Date(Date.UTC(now.year, now.month - 1, now.day + 1));
    cursor = zonedInstant(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, calendar.timeZone);
  }
  throw new Error('business calendar has no open time within ten years');
}
