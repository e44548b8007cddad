import type { FollowUpTaskRow, InteractionRow, TimelineEntryRow } from './db/schema.ts';

export type InteractionMapper = InteractionRow;
export type TimelineEntryMapper = TimelineEntryRow;
export type CustomerMapper = { id: string };
export type FollowUpTaskMapper = FollowUpTaskRow;
