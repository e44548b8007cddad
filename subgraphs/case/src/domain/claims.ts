import {
  ConflictError,
  DomainRuleError,
  ForbiddenError,
  NotFoundError,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { and, eq } from 'drizzle-orm';
import { cases, compensationClaims, outbox, type ClaimStatus, type CompensationClaimRow } from '../db/schema.ts';
import { calculateCompensation, compensationSettings, type CompensationInput } from './compensation/engine.ts';

async function claimById(db: Database, id: string): Promise<CompensationClaimRow> {
  const [row] = await db.select().from(compensationClaims).where(eq(compensationClaims.id, requireUuid('claimId', id)));
  if (!row) throw new NotFoundError('CompensationClaim', id);
  return row;
}

/**
 * Files the passenger's claim on a case: the engine decides at once, and an eligible claim waits for a
 * CustomerAffairsExecutive's approval (NOT_ELIGIBLE otherwise, with the decision's trace kept either way).
 */
export async function fileClaim(db: Database, caller: Caller, events: EventContext, caseId: string, input: CompensationInput) {
  const decision = calculateCompensation(input, compensationSettings());
  const [owner] = await db.select().from(cases).where(eq(cases.id, caseId));
  if (!owner) throw new NotFoundError('Case', caseId, 'COMP-001');
  if (owner.status === 'CLOSED') throw new DomainRuleError('COMP-003', `Case ${owner.caseNumber} is CLOSED`, { from: 'CLOSED' });
  const status: ClaimStatus = decision.eligible ? 'PENDING_APPROVAL' : 'NOT_ELIGIBLE';
  return db.transaction(async (tx) => {
    const [claim] = await tx
      .insert(compensationClaims)
      .values({
        caseId,
        input: JSON.parse(JSON.stringify(input)) as Record<string, unknown>,
        decision: decision as unknown as Record<string, unknown>,
        amountMinor: decision.amount?.amountMinor ?? 0,
        currency: decision.amount?.currency ?? 'EUR',
        status,
        filedBy: caller.subject,
      })
      .onConflictDoNothing({ target: compensationClaims.caseId })
      .returning();
    if (!claim) throw new ConflictError(`Case ${owner.caseNumber} already holds a compensation claim`, { caseId });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.case.CompensationClaimFiled',
      aggregateType: 'Case',
      aggregateId: caseId,
      customerId: owner.customerId,
      data: { claimId: claim.id, caseId, customerId: owner.customerId, status, rule: decision.rule, amount: decision.amount },
    });
    return claim;
  });
}

async function recordClaimEvent(
  tx: Executor,
  events: EventContext,
  claim: CompensationClaimRow,
  type: 'CompensationApproved' | 'CompensationRejected' | 'CompensationPaid',
  extra: Record<string, unknown>,
) {
  const [owner] = await tx.select({ customerId: cases.customerId }).from(cases).where(eq(cases.id, claim.caseId));
  await recordEvent(tx, outbox, events, {
    type: `cmp.case.${type}`,
    aggregateType: 'Case',
    aggregateId: claim.caseId,
    customerId: owner!.customerId,
    data: { claimId: claim.id, caseId: claim.caseId, customerId: owner!.customerId, amount: { amountMinor: claim.amountMinor, currency: claim.currency }, ...extra },
  });
}

/**
 * PENDING_APPROVAL → APPROVED or REJECTED by a CustomerAffairsExecutive who did not file the claim (four eyes).
 * One conditional update, so two approvers cannot both decide.
 */
export async function decideClaim(
  db: Database,
  caller: Caller,
  events: EventContext,
  claimId: string,
  approve: boolean,
  rawNote: string,
  now = new Date(),
) {
  const claim = await claimById(db, claimId);
  if (claim.filedBy === caller.subject) throw new ForbiddenError('The claim must be decided by someone other than who filed it');
  const note = requireLength('note', rawNote, { min: 3, max: 2000 });
  return db.transaction(async (tx) => {
    const [decided] = await tx
      .update(compensationClaims)
      .set({ status: approve ? 'APPROVED' : 'REJECTED', decidedBy: caller.subject, decidedAt: now, decisionNote: note, updatedAt: now })
      .where(and(eq(compensationClaims.id, claim.id), eq(compensationClaims.status, 'PENDING_APPROVAL')))
      .returning();
    if (!decided) {
      const [current] = await tx.select().from(compensationClaims).where(eq(compensationClaims.id, claim.id));
      throw new DomainRuleError('COMP-004', `The claim is ${current!.status} and can no longer be ${approve ? 'approved' : 'rejected'}`, { status: current!.status });
    }
    await recordClaimEvent(tx, events, claim, approve ? 'CompensationApproved' : 'CompensationRejected', { decidedBy: caller.subject, note });
    return decided;
  });
}

/** APPROVED → PAID with the payment's reference (money, or vouchers the passenger signed for: Art 7(3)). */
export async function recordPayment(db: Database, caller: Caller, events: EventContext, claimId: string, rawReference: string, now = new Date()) {
  const claim = await claimById(db, claimId);
  const reference = requireLength('paymentReference', rawReference, { min: 3, max: 100 });
  return db.transaction(async (tx) => {
    const [paid] = await tx
      .update(compensationClaims)
      .set({ status: 'PAID', paymentReference: reference, paidAt: now, updatedAt: now })
      .where(and(eq(compensationClaims.id, claim.id), eq(compensationClaims.status, 'APPROVED')))
      .returning();
    if (!paid) throw new DomainRuleError('COMP-004', `The claim is ${claim.status}; only an APPROVED claim is paid`, { status: claim.status });
    await recordClaimEvent(tx, events, claim, 'CompensationPaid', { paymentReference: reference, recordedBy: caller.subject });
    return paid;
  });
}

