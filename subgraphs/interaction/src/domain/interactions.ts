import { BadUserInputError, recordEvent, requireLength, requireUuid, type Caller, type Database, type EventContext } from '@cmp/platform';
import { insertInteraction } from '../db/interactions.repo.ts';
import { outbox, type InteractionRow } from '../db/schema.ts';
import { addTimelineEntry } from './timeline.ts';
import type { Channel, Direction } from './types.ts';

export interface LogInteractionInput {
  customerId: string;
  channel: Channel;
  direction: Direction;
  subject?: string | null;
  summary: string;
  occurredAt?: Date | null;
}

const CLOCK_SKEW_MS = 5 * 60_000;
const CHANNEL_NAMES: Record<Channel, string> = { EMAIL: 'e-mail', SMS: 'SMS', CALL: 'call', CHAT: 'chat', MEETING: 'meeting', NOTE: 'note' };

export function timelineSummary(channel: Channel, direction: Direction, summary: string): string {
  const what = `${direction === 'INBOUND' ? 'Inbound' : 'Outbound'} ${CHANNEL_NAMES[channel]}`;
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
  return { customerId: requireUuid('customerId', input.customerId), summary, subject, occurredAt };
}

/** Records a communication, its timeline entry and an InteractionLogged event, together. */
export async function logInteraction(db: Database, caller: Caller, events: EventContext, input: LogInteractionInput, now = new Date()): Promise<InteractionRow> {
  const valid = validateInteraction(input, now);
  return db.transaction(async (tx) => {
    const interaction = await insertInteraction(tx, {
      customerId: valid.customerId,
      channel: input.channel,
      direction: input.direction,
      subject: valid.subject,
      summary: valid.summary,
      occurredAt: valid.occurredAt,
      recordedBy: caller.subject,
    });
    await addTimelineEntry(tx, events, {
      customerId: valid.customerId,
      occurredAt: valid.occurredAt,
      type: 'COMMUNICATION',
      summary: timelineSummary(input.channel, input.direction, valid.summary),
      sourceType: 'Interaction',
      sourceId: interaction.id,
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
      },
    });
    return interaction;
  });
}
