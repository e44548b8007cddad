export const CHANNELS = ['EMAIL', 'SMS', 'CALL', 'CHAT', 'MEETING', 'NOTE'] as const;
export const DIRECTIONS = ['INBOUND', 'OUTBOUND'] as const;
export const TIMELINE_ENTRY_TYPES = [
  'COMMUNICATION',
  'CASE',
  'INVITATION',
  'LOUNGE_VISIT',
  'LOYALTY',
  'PURCHASE',
  'PROFILE',
  'FEEDBACK',
  'FOLLOW_UP',
] as const;
export type Channel = (typeof CHANNELS)[number];
export type Direction = (typeof DIRECTIONS)[number];
export type TimelineEntryType = (typeof TIMELINE_ENTRY_TYPES)[number];
