export const CASE_STATUSES = ['NEW', 'IN_PROGRESS', 'RESOLVED', 'CLOSED', 'ESCALATED'] as const;
export const CASE_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export const CASE_CATEGORIES = [
  'BAGGAGE',
  'FLIGHT_DISRUPTION',
  'DENIED_BOARDING',
  'REFUND',
  'SERVICE_QUALITY',
  'LOYALTY',
  'LOUNGE',
  'OTHER',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export type CasePriority = (typeof CASE_PRIORITIES)[number];
export type CaseCategory = (typeof CASE_CATEGORIES)[number];

export const SUBJECT_MAX = 500;
export const DESCRIPTION_MAX = 5000;

/** `COMP-YYYYMMDD-NNNN` from the UTC day of opening; the counter grows past 9999 rather than wrapping. */
export function formatCaseNumber(openedAt: Date, sequence: number): string {
  const day = openedAt.toISOString().slice(0, 10).replaceAll('-', '');
  return `COMP-${day}-${String(sequence).padStart(4, '0')}`;
}

/** DOMAIN.md's state machine: where each status may go next. CLOSED is final. */
export const TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  NEW: ['IN_PROGRESS', 'ESCALATED'],
  IN_PROGRESS: ['RESOLVED', 'ESCALATED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  ESCALATED: ['IN_PROGRESS', 'RESOLVED'],
  CLOSED: [],
};

export const NOTE_MAX = 2000;
export const RESOLUTION_MIN = 20;
export const COMMENT_MAX = 5000;

/** Unresolved this long after opening, a case escalates by itself (DOMAIN.md; configurable). */
export const DEFAULT_ESCALATION_HOURS: Record<CasePriority, number> = { CRITICAL: 4, HIGH: 24, MEDIUM: 48, LOW: 7 * 24 };
