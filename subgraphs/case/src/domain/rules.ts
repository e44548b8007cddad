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
