/** Wall-clock arithmetic in an IANA time zone (daylight saving included), with Intl only. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** ISO weekday, 1 = Monday ... 7 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** What a clock in `timeZone` shows at `instant`. */
export function localTime(instant: Date, timeZone: string): LocalTime {
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

/** The instant when `timeZone` shows this local date and minute of the day. */
export function zonedInstant(year: number, month: number, day: number, minute: number, timeZone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, 0, minute);
  let instant = wanted;
  for (let i = 0; i < 2; i += 1) {
    const seen = localTime(new Date(instant), timeZone);
    instant += wanted - Date.UTC(seen.year, seen.month - 1, seen.day, 0, seen.minute);
  }
  return new Date(instant);
}

/** The local day that contains `at` in `timeZone`, as instants (23 or 25 hours on daylight-saving days). */
export function localDay(at: Date, timeZone: string): { start: Date; end: Date } {
  const today = localTime(at, timeZone);
  const next = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
  return {
    start: zonedInstant(today.year, today.month, today.day, 0, timeZone),
    end: zonedInstant(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, timeZone),
  };
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name }).format(0);
    return true;
  } catch {
    return false;
  }
}
