import {
  BadUserInputError,
  decodeCursor,
  normaliseFilter,
  recordEvent,
  refuseErasedCustomer,
  requireLength,
  requirePageSize,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
} from '@cmp/platform';
import { insertInteraction, type InteractionPage } from '../db/interactions.repo.ts';
import { erasedCustomers, outbox, type InteractionRow } from '../db/schema.ts';
import { analyseForStorage, storeTextAnalysis } from '../analysis/index.ts';
import { addTimelineEntry } from './timeline.ts';
import type { Channel, Direction } from './types.ts';

export interface LogInteractionInput {
  customerId: string;
  channel: Channel;
  direction: Direction;
  subject?: string | null;
  summary: string;
  occurredAt?: Date | null;
  /** CALL only: 1 to 86400 seconds. */
  durationSeconds?: number | null;
  /** CALL only: the agent's notes, at most 5000 characters. */
  notes?: string | null;
  /** CHAT only: the conversation as plain text, at most 20000 characters. */
  transcript?: string | null;
}

export const MAX_CALL_SECONDS = 86_400;
export const MAX_NOTES = 5000;
export const MAX_TRANSCRIPT = 20_000;

const CLOCK_SKEW_MS = 5 * 60_000;
const CHANNEL_NAMES: Record<Channel, string> = { EMAIL: 'e-mail', SMS: 'SMS', CALL: 'call', CHAT: 'chat', MEETING: 'meeting', NOTE: 'note' };

/** A call's length as an agent reads it: `45 s`, `12 min`, `1 h 05 min`. */
export function callLength(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function timelineSummary(channel: Channel, direction: Direction, summary: string, durationSeconds?: number | null): string {
  const length = durationSeconds ? ` (${callLength(durationSeconds)})` : '';
  const what = `${direction === 'INBOUND' ? 'Inbound' : 'Outbound'} ${CHANNEL_NAMES[channel]}${length}`;
  const text = summary.length > 140 ? `${summary.slice(0, 139)}…` : summary;
  return channel === 'NOTE' ? `Note: ${text}` : `${what}: ${text}`;
}

export function validateInteraction(input: LogInteractionInput, now: Date) {
  const summary = requireLength('summary', input.summary, { min: 1, max: 5000 });
  // DOMAIN.md: a call's summary has at least ten characters.
  if (input.channel === 'CALL' && summary.length < 10) throw new BadUserInputError('summary', 'a call summary needs at least 10 characters');
  const subject = input.subject == null || input.subject.trim() === '' ? null : requireLength('subject', input.subject, { max: 500 });
  if (input.channel === 'EMAIL' && !subject) throw new BadUserInputError('subject', 'is required for an e-mail');
  const occurredAt = input.occurredAt ?? now;
  if (occurredAt.getTime() > now.getTime() + CLOCK_SKEW_MS) throw new BadUserInputError('occurredAt', 'cannot be in the future');
  return { customerId: requireUuid('customerId', input.customerId), summary, subject, occurredAt, ...validateChannelDetails(input) };
}

const blank = (value: string | null | undefined) => value == null || value.trim() === '';

/** The details only some channels have: a call's duration and notes, a chat's transcript. */
function validateChannelDetails(input: LogInteractionInput) {
  const { channel, durationSeconds } = input;
  if (channel === 'CALL' && durationSeconds == null) throw new BadUserInputError('durationSeconds', 'is required for a call');
  if (durationSeconds != null) {
    if (channel !== 'CALL') throw new BadUserInputError('durationSeconds', 'is only for calls');
    if (!Number.isInteger(durationSeconds) || durationSeconds < 1 || durationSeconds > MAX_CALL_SECONDS) {
      throw new BadUserInputError('durationSeconds', `must be a whole number of seconds from 1 to ${MAX_CALL_SECONDS}`);
    }
  }
  if (!blank(input.notes) && channel !== 'CALL') throw new BadUserInputError('notes', 'are only for calls');
  if (!blank(input.transcript) && channel !== 'CHAT') throw new BadUserInputError('transcript', 'is only for chats');
  return {
    durationSeconds: durationSeconds ?? null,
    notes: blank(input.notes) ? null : requireLength('notes', input.notes!, { max: MAX_NOTES }),
    transcript: blank(input.transcript) ? null : requireLength('transcript', input.transcript!, { max: MAX_TRANSCRIPT }),
  };
}

/** The free text of a communication, as analysed for sentiment and key phrases. */
const freeText = (valid: { subject: string | null; summary: string; notes: string | null; transcript: string | null }) =>
  [valid.subject, valid.summary, valid.notes, valid.transcript].filter(Boolean).join('\n');

/**
 * Records a communication, its text analysis (sentiment and key phrases, worked out before the transaction opens
 * so no outside provider is ever called while it holds locks), its timeline entry and an InteractionLogged event.
 */
export async function logInteraction(db: Database, caller: Caller, events: EventContext, input: LogInteractionInput, now = new Date()): Promise<InteractionRow> {
  const valid = validateInteraction(input, now);
  const analysis = await analyseForStorage(freeText(valid));
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, valid.customerId);
    const interaction = await insertInteraction(tx, {
      customerId: valid.customerId,
      channel: input.channel,
      direction: input.direction,
      subject: valid.subject,
      summary: valid.summary,
      occurredAt: valid.occurredAt,
      recordedBy: caller.subject,
      durationSeconds: valid.durationSeconds,
      notes: valid.notes,
      transcript: valid.transcript,
    });
    await storeTextAnalysis(tx, { subjectType: 'Interaction', subjectId: interaction.id, customerId: valid.customerId, text: freeText(valid) }, analysis, now);
    await addTimelineEntry(tx, events, {
      customerId: valid.customerId,
      occurredAt: valid.occurredAt,
      type: 'COMMUNICATION',
      summary: timelineSummary(input.channel, input.direction, valid.summary, valid.durationSeconds),
      sourceType: 'Interaction',
      sourceId: interaction.id,
      actor: caller.subject,
    });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.interaction.InteractionLogged',
      aggregateType: 'Interaction',
      aggregateId: interaction.id,
      customerId: valid.customerId,
      data: {
        interactionId: interaction.id,
        customerId: valid.customerId,
        channel: input.channel,
        direction: input.direction,
        occurredAt: valid.occurredAt.toISOString(),
        durationSeconds: valid.durationSeconds,
        recordedBy: caller.subject,
      },
    });
    return interaction;
  });
}

export const MAX_HISTORY_PAGE = 100;

/** A page of a customer's communication history from the field's arguments; `from` after `to` names `to`. */
export function interactionPage(
  first: number | null | undefined,
  after: string | null | undefined,
  channels: readonly Channel[] | null | undefined,
  from: Date | null | undefined,
  to: Date | null | undefined,
): InteractionPage {
  if (from && to && from.getTime() > to.getTime()) throw new BadUserInputError('to', 'must not be before `from`');
  const cursor = after ? decodeCursor('after', after) : null;
  return {
    limit: requirePageSize('first', first, 20, MAX_HISTORY_PAGE),
    after: cursor ? { occurredAt: cursor.at, id: cursor.id } : null,
    channels: normaliseFilter(channels),
    from: from ?? null,
    to: to ?? null,
  };
}
