import { BadUserInputError, DomainRuleError, NotFoundError, recordEvent, requireLength, type Caller, type Database, type EventContext } from '@cmp/platform';
import { and, count, eq } from 'drizzle-orm';
import { caseAttachments, cases, outbox, type CaseAttachmentRow, type CaseRow } from '../db/schema.ts';
import type { BlobStore } from './store.ts';

export const CONTENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'image/heic', 'text/plain'] as const;
export const MAX_ATTACHMENTS_PER_CASE = 20;
export const UPLOAD_LINK_MINUTES = 15;
export const DOWNLOAD_LINK_MINUTES = 5;

export interface AttachmentRuntime {
  store: BlobStore;
  maxBytes: number;
}

let configured: AttachmentRuntime | null = null;

export function configureAttachments(runtime: AttachmentRuntime | null): void {
  configured = runtime;
}

export function attachmentRuntime(): AttachmentRuntime {
  if (!configured) throw new Error('attachments are not configured (configureAttachments)');
  return configured;
}

export interface UploadRequest {
  fileName: string;
  contentType: string;
  sizeBytes: number;
}

/**
 * Registers a file on a case as PENDING and hands out a link to PUT it to (15 minutes, this size and type only).
 * Types: PDF, JPEG, PNG, HEIC, plain text; at most the configured size and 20 files per case.
 */
export async function requestUpload(db: Database, caller: Caller, runtime: AttachmentRuntime, row: CaseRow, input: UploadRequest, origin: string, now = new Date()) {
  const fileName = requireLength('fileName', input.fileName, { min: 1, max: 200 });
  if (/[\\/\u0000-\u001f]/.test(fileName)) throw new BadUserInputError('fileName', 'must be a plain file name, without path separators or control characters');
  const contentType = input.contentType.trim().toLowerCase();
  if (!(CONTENT_TYPES as readonly string[]).includes(contentType)) throw new BadUserInputError('contentType', `must be one of ${CONTENT_TYPES.join(', ')}`);
  if (!Number.isInteger(input.sizeBytes) || input.sizeBytes < 1 || input.sizeBytes > runtime.maxBytes) {
    throw new BadUserInputError('sizeBytes', `must be from 1 to ${runtime.maxBytes} bytes`);
  }
  if (row.status === 'CLOSED') throw new DomainRuleError('COMP-003', `Case ${row.caseNumber} is CLOSED and takes no more files`, { from: 'CLOSED' });
  return db.transaction(async (tx) => {
    // Locks the case so two uploads at once cannot both take the last place.
    await tx.select({ id: cases.id }).from(cases).where(eq(cases.id, row.id)).for('update');
    const [{ n }] = (await tx.select({ n: count() }).from(caseAttachments).where(eq(caseAttachments.caseId, row.id))) as [{ n: number }];
    if (Number(n) >= MAX_ATTACHMENTS_PER_CASE) throw new DomainRuleError('COMP-005', `A case holds at most ${MAX_ATTACHMENTS_PER_CASE} files`, { limit: MAX_ATTACHMENTS_PER_CASE });
    const id = crypto.randomUUID();
    const [attachment] = await tx
      .insert(caseAttachments)
      .values({ id, caseId: row.id, fileName, contentType, sizeBytes: input.sizeBytes, storageKey: `${row.id}/${id}`, uploadedBy: caller.subject, createdAt: now })
      .returning();
    const expiresAt = new Date(now.getTime() + UPLOAD_LINK_MINUTES * 60_000);
    const uploadUrl = await runtime.store.uploadUrl(attachment!.storageKey, contentType, input.sizeBytes, expiresAt, origin);
    return { attachment: attachment!, uploadUrl, expiresAt, headers: { 'content-type': contentType } };
  });
}

/** Confirms an upload: the stored file must be there with the size announced; then the file is AVAILABLE. */
export async function completeUpload(db: Database, caller: Caller, events: EventContext, runtime: AttachmentRuntime, attachment: CaseAttachmentRow, now = new Date()) {
  if (attachment.status === 'AVAILABLE') return attachment;
  const stored = await runtime.store.size(attachment.storageKey);
  if (stored === null) throw new DomainRuleError('COMP-006', 'The file has not been uploaded yet; PUT it to the upload link first', { attachmentId: attachment.id });
  if (stored !== attachment.sizeBytes) {
    throw new DomainRuleError('COMP-006', `The uploaded file has ${stored} bytes, not the ${attachment.sizeBytes} announced; upload it again`, { attachmentId: attachment.id });
  }
  return db.transaction(async (tx) => {
    const [done] = await tx
      .update(caseAttachments)
      .set({ status: 'AVAILABLE', completedAt: now })
      .where(and(eq(caseAttachments.id, attachment.id), eq(caseAttachments.status, 'PENDING')))
      .returning();
    if (!done) return (await tx.select().from(caseAttachments).where(eq(caseAttachments.id, attachment.id)))[0]!;
    const [owner] = await tx.select({ customerId: cases.customerId, caseNumber: cases.caseNumber }).from(cases).where(eq(cases.id, attachment.caseId));
    await recordEvent(tx, outbox, events, {
      type: 'cmp.case.CaseAttachmentAdded',
      aggregateType: 'Case',
      aggregateId: attachment.caseId,
      customerId: owner!.customerId,
      data: { caseId: attachment.caseId, caseNumber: owner!.caseNumber, attachmentId: attachment.id, fileName: attachment.fileName, sizeBytes: attachment.sizeBytes, uploadedBy: caller.subject },
    });
    return done;
  });
}

export async function findAttachment(db: Database, id: string): Promise<CaseAttachmentRow> {
  const [row] = await db.select().from(caseAttachments).where(eq(caseAttachments.id, id));
  if (!row) throw new NotFoundError('CaseAttachment', id);
  return row;
}
