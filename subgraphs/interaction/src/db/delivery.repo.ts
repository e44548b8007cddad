import type { Executor } from '@cmp/platform';
import { and, asc, desc, eq, getTableColumns, inArray, lte, or, sql } from 'drizzle-orm';
import {
  capturedMessages,
  emailTemplates,
  meetings,
  messageAttachments,
  outboundMessages,
  smsOptOuts,
  type CapturedMessageRow,
  type EmailTemplateRow,
  type MeetingRow,
  type MessageAttachmentRow,
  type MessageChannel,
  type MessageStatus,
  type NewOutboundMessage,
  type OutboundMessageRow,
} from './delivery.schema.ts';

export type AttachmentInfo = Omit<MessageAttachmentRow, 'content'>;

export async function insertOutboundMessage(db: Executor, values: NewOutboundMessage): Promise<OutboundMessageRow> {
  const [row] = await db.insert(outboundMessages).values(values).returning();
  return row!;
}

export async function insertAttachments(db: Executor, rows: (typeof messageAttachments.$inferInsert)[]): Promise<void> {
  if (rows.length) await db.insert(messageAttachments).values(rows);
}

/**
 * Takes up to `limit` due messages for this dispatcher: QUEUED ones whose time has come, and SENDING ones whose
 * sender's lease ran out. Rows another dispatcher is claiming are skipped (FOR UPDATE SKIP LOCKED), and a claimed
 * row is SENDING with a fresh lease when the transaction commits, so no two replicas take the same message.
 */
export async function claimDueMessages(db: Executor, options: { now: Date; limit: number; leaseMs: number }): Promise<OutboundMessageRow[]> {
  const m = outboundMessages;
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: m.id })
      .from(m)
      .where(or(and(eq(m.status, 'QUEUED'), lte(m.nextAttemptAt, options.now)), and(eq(m.status, 'SENDING'), lte(m.leaseUntil, options.now))))
      .orderBy(asc(m.nextAttemptAt), asc(m.id))
      .limit(options.limit)
      .for('update', { skipLocked: true });
    if (!due.length) return [];
    return tx
      .update(m)
      .set({
        status: 'SENDING',
        attempts: sql`${m.attempts} + 1`,
        leaseUntil: new Date(options.now.getTime() + options.leaseMs),
        updatedAt: options.now,
      })
      .where(
        inArray(
          m.id,
          due.map((d) => d.id),
        ),
      )
      .returning();
  });
}

export function findAttachmentsOfMessages(db: Executor, messageIds: readonly string[]): Promise<MessageAttachmentRow[]> {
  if (!messageIds.length) return Promise.resolve([]);
  return db
    .select()
    .from(messageAttachments)
    .where(inArray(messageAttachments.messageId, [...messageIds]))
    .orderBy(asc(messageAttachments.messageId), asc(messageAttachments.position));
}

export function findAttachmentInfoOfMessages(db: Executor, messageIds: readonly string[]): Promise<AttachmentInfo[]> {
  const { content: _content, ...columns } = getTableColumns(messageAttachments);
  return db
    .select(columns)
    .from(messageAttachments)
    .where(inArray(messageAttachments.messageId, [...messageIds]))
    .orderBy(asc(messageAttachments.messageId), asc(messageAttachments.position));
}

/** The outcome of one attempt, written only if this dispatcher still holds the message (same attempt, still SENDING). */
export async function finishAttempt(
  db: Executor,
  claimed: Pick<OutboundMessageRow, 'id' | 'attempts'>,
  changes: Partial<Pick<OutboundMessageRow, 'status' | 'nextAttemptAt' | 'lastError' | 'providerMessageId' | 'sentAt' | 'failedAt' | 'attempts'>> & {
    status: MessageStatus;
  },
  now: Date,
): Promise<OutboundMessageRow | null> {
  const m = outboundMessages;
  const [row] = await db
    .update(m)
    .set({ ...changes, leaseUntil: null, updatedAt: now })
    .where(and(eq(m.id, claimed.id), eq(m.status, 'SENDING'), eq(m.attempts, claimed.attempts)))
    .returning();
  return row ?? null;
}

export async function lockMessage(db: Executor, id: string): Promise<OutboundMessageRow | null> {
  const [row] = await db.select().from(outboundMessages).where(eq(outboundMessages.id, id)).for('update');
  return row ?? null;
}

export async function lockMessageByProviderId(db: Executor, channel: MessageChannel, providerMessageId: string): Promise<OutboundMessageRow | null> {
  const [row] = await db
    .select()
    .from(outboundMessages)
    .where(and(eq(outboundMessages.channel, channel), eq(outboundMessages.providerMessageId, providerMessageId)))
    .limit(1)
    .for('update');
  return row ?? null;
}

export async function updateMessage(
  db: Executor,
  id: string,
  changes: Partial<Pick<OutboundMessageRow, 'status' | 'lastError' | 'deliveredAt' | 'bouncedAt'>>,
  now: Date,
): Promise<OutboundMessageRow> {
  const [row] = await db
    .update(outboundMessages)
    .set({ ...changes, updatedAt: now })
    .where(eq(outboundMessages.id, id))
    .returning();
  return row!;
}

export function findMessagesByIds(db: Executor, ids: readonly string[]): Promise<OutboundMessageRow[]> {
  return db.select().from(outboundMessages).where(inArray(outboundMessages.id, [...ids]));
}

export function findMessagesOfInteractions(db: Executor, interactionIds: readonly string[]): Promise<OutboundMessageRow[]> {
  return db
    .select()
    .from(outboundMessages)
    .where(inArray(outboundMessages.interactionId, [...interactionIds]))
    .orderBy(asc(outboundMessages.createdAt), asc(outboundMessages.id));
}

export function findMessagesOfMeetings(db: Executor, meetingIds: readonly string[]): Promise<OutboundMessageRow[]> {
  return db
    .select()
    .from(outboundMessages)
    .where(inArray(outboundMessages.meetingId, [...meetingIds]))
    .orderBy(asc(outboundMessages.createdAt), asc(outboundMessages.id));
}

export interface MessagePage {
  limit: number;
  after: { at: Date; id: string } | null;
  channel: MessageChannel | null;
  statuses: readonly MessageStatus[] | null;
}

/** Each customer's newest messages, up to `limit + 1` per customer, in one query for all of them. */
export async function findMessagePages(db: Executor, customerIds: readonly string[], page: MessagePage): Promise<OutboundMessageRow[]> {
  const m = outboundMessages;
  const ranked = db
    .select({
      id: m.id,
      customerId: m.customerId,
      rank: sql<number>`row_number() over (partition by ${m.customerId} order by ${m.createdAt} desc, ${m.id} desc)`.as('rank'),
    })
    .from(m)
    .where(
      and(
        inArray(m.customerId, [...customerIds]),
        page.channel ? eq(m.channel, page.channel) : undefined,
        page.statuses ? inArray(m.status, [...page.statuses]) : undefined,
        page.after ? sql`(${m.createdAt}, ${m.id}) < (${page.after.at.toISOString()}::timestamptz, ${page.after.id}::uuid)` : undefined,
      ),
    )
    .as('ranked');
  const ids = db.select({ id: ranked.id }).from(ranked).where(lte(ranked.rank, page.limit + 1));
  return db.select().from(m).where(inArray(m.id, ids)).orderBy(desc(m.createdAt), desc(m.id));
}

export async function findCapturedPage(db: Executor, limit: number, after: { at: Date; id: string } | null): Promise<CapturedMessageRow[]> {
  const c = capturedMessages;
  return db
    .select()
    .from(c)
    .where(after ? sql`(${c.capturedAt}, ${c.id}) < (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined)
    .orderBy(desc(c.capturedAt), desc(c.id))
    .limit(limit + 1);
}

export async function findTemplate(db: Executor, code: string): Promise<EmailTemplateRow | null> {
  const [row] = await db.select().from(emailTemplates).where(eq(emailTemplates.code, code));
  return row ?? null;
}

export function listTemplates(db: Executor): Promise<EmailTemplateRow[]> {
  return db.select().from(emailTemplates).orderBy(asc(emailTemplates.code));
}

/** Creates the template, or replaces it and raises its version. */
export async function upsertTemplate(db: Executor, values: Omit<typeof emailTemplates.$inferInsert, 'version'>): Promise<EmailTemplateRow> {
  const [row] = await db
    .insert(emailTemplates)
    .values({ ...values, version: 1 })
    .onConflictDoUpdate({
      target: emailTemplates.code,
      set: {
        subject: values.subject,
        textBody: values.textBody ?? null,
        htmlBody: values.htmlBody ?? null,
        requiredVariables: values.requiredVariables,
        definedBy: values.definedBy,
        updatedAt: sql`now()`,
        version: sql`${emailTemplates.version} + 1`,
      },
    })
    .returning();
  return row!;
}

export async function isOptedOut(db: Executor, phoneNumber: string): Promise<boolean> {
  const rows = await db.select({ n: smsOptOuts.phoneNumber }).from(smsOptOuts).where(eq(smsOptOuts.phoneNumber, phoneNumber));
  return rows.length > 0;
}

/** Records an opt-out; a number already opted out keeps its first record. True when it is new. */
export async function insertOptOut(db: Executor, phoneNumber: string, source: string): Promise<boolean> {
  const rows = await db.insert(smsOptOuts).values({ phoneNumber, source }).onConflictDoNothing().returning({ n: smsOptOuts.phoneNumber });
  return rows.length > 0;
}

export async function deleteOptOut(db: Executor, phoneNumber: string): Promise<boolean> {
  const rows = await db.delete(smsOptOuts).where(eq(smsOptOuts.phoneNumber, phoneNumber)).returning({ n: smsOptOuts.phoneNumber });
  return rows.length > 0;
}

export async function insertMeeting(db: Executor, values: typeof meetings.$inferInsert): Promise<MeetingRow> {
  const [row] = await db.insert(meetings).values(values).returning();
  return row!;
}

export async function lockMeeting(db: Executor, id: string): Promise<MeetingRow | null> {
  const [row] = await db.select().from(meetings).where(eq(meetings.id, id)).for('update');
  return row ?? null;
}

export async function updateMeeting(db: Executor, id: string, changes: Partial<typeof meetings.$inferInsert>): Promise<MeetingRow> {
  const [row] = await db.update(meetings).set(changes).where(eq(meetings.id, id)).returning();
  return row!;
}

export function findMeetingsByIds(db: Executor, ids: readonly string[]): Promise<MeetingRow[]> {
  return db.select().from(meetings).where(inArray(meetings.id, [...ids]));
}

export function findMeetingsOfInteractions(db: Executor, interactionIds: readonly string[]): Promise<MeetingRow[]> {
  return db.select().from(meetings).where(inArray(meetings.interactionId, [...interactionIds]));
}
