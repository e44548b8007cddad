import {
  BadUserInputError,
  recordEvent,
  refuseErasedCustomer,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
} from '@cmp/platform';
import { eq } from 'drizzle-orm';
import { insertCase, insertHistory, nextCaseSequence } from '../db/cases.repo.ts';
import { erasedCustomers, knownTiers, outbox, type CaseRow } from '../db/schema.ts';
import { routeCase } from './routing.ts';
import { startMilestones } from './sla.ts';
import { DESCRIPTION_MAX, SUBJECT_MAX, formatCaseNumber, type CaseCategory, type CasePriority } from './rules.ts';

export interface OpenCaseInput {
  customerId: string;
  subject: string;
  description: string;
  category: CaseCategory;
  priority?: CasePriority | null;
  /** The customer's language (BCP 47, e.g. es or en-GB), for routing. */
  language?: string | null;
}

/** Opens a case as NEW with its number, its first history row and a CustomerComplaintReceived event. */
export async function openCase(
  db: Database,
  caller: Caller,
  events: EventContext,
  input: OpenCaseInput,
  openedVia: 'AGENT' | 'SELF_SERVICE',
  now = new Date(),
): Promise<CaseRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const subject = requireLength('subject', input.subject, { min: 1, max: SUBJECT_MAX });
  const description = requireLength('description', input.description, { min: 1, max: DESCRIPTION_MAX });
  const priority = input.priority ?? 'MEDIUM';
  const language = input.language?.trim().toLowerCase() || null;
  if (language !== null && !/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/.test(language)) {
    throw new BadUserInputError('language', 'must be a BCP 47 language tag such as es or en-GB');
  }
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    const [known] = await tx.select({ tier: knownTiers.tier }).from(knownTiers).where(eq(knownTiers.customerId, customerId));
    const sequence = await nextCaseSequence(tx, now.toISOString().slice(0, 10));
    const opened = await insertCase(tx, {
      caseNumber: formatCaseNumber(now, sequence),
      customerId,
      subject,
      description,
      category: input.category,
      priority,
      openedBy: caller.subject,
      openedVia,
      language: language?.split('-')[0] ?? null,
      customerTier: known?.tier ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await insertHistory(tx, { caseId: opened.id, fromStatus: null, toStatus: 'NEW', note: 'Case opened', actor: caller.subject, at: now });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.case.CustomerComplaintReceived',
      aggregateType: 'Case',
      aggregateId: opened.id,
      customerId,
      data: { caseId: opened.id, caseNumber: opened.caseNumber, customerId, category: opened.category, priority, subject, description, language: opened.language },
    });
    await startMilestones(tx, opened);
    return routeCase(tx, events, opened, now);
  });
}
