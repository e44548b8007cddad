import type { InvitationRow, LoungeRow } from './db/schema.ts';

export type InvitationMapper = InvitationRow;
export type LoungeMapper = LoungeRow;
export type CustomerMapper = { id: string };
