import { describe, expect, it } from 'vitest';
import { isTimeZone, localDay, localTime, zonedInstant } from '../src/index.ts';

describe('time zones', () => {
  it('finds the local day of an instant, 23 hours long on the spring-forward day', () => {
    expect(localDay(new Date('2026-03-13T23:30:00Z'), 'Europe/Madrid')).toEqual({
      start: new Date('2026-03-13T23:00:00Z'),
      end: new Date('2026-03-14T23:00:00Z'),
    });
    const dst = localDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Madrid');
    expect(dst).toEqual({ start: new Date('2026-03-28T23:00:00Z'), end: new Date('2026-03-29T22:00:00Z') });
  });

  it('reads the wall clock and goes back from it', () => {
    expect(localTime(new Date('2026-07-01T07:30:00Z'), 'Europe/Madrid')).toEqual({ year: 2026, month: 7, day: 1, weekday: 3, minute: 9 * 60 + 30 });
    expect(zonedInstant(2026, 7, 1, 9 * 60 + 30, 'Europe/Madrid')).toEqual(new Date('2026-07-01T07:30:00Z'));
    expect(isTimeZone('Atlantic/Canary')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
