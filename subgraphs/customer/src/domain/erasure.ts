import {
  applyErasure,
  CUSTOMER_ERASURE_COMPLETED_TYPES,
  CUSTOMER_ERASURE_REQUESTED,
  ERASURE_SUBGRAPHS,
  erasureCompletionOf,
  NotFoundError,
  previewErasure,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type CustomerErasureRequestedData,
  type Database,
  type ErasureSectionData,
  type EventConsumer,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { findCustomersByIds, lockCustomers, updateCustomerRow } from '../db/customers.repo.ts';
import {
  completeErasure,
  customerAndMergedIds,
  customerErasurePlan,
  findErasureOfCustomer,
  findErasureSections,
  insertErasure,
  insertErasureSection,
  lockErasure,
} from '../db/erasure.repo.ts';
import { recordHistory } from '../db/history.repo.ts';
import { outbox, type ErasureRow } from '../db/schema.ts';
import { CUSTOMER_NOT_FOUND } from './guards.ts';

/** The id of a customer that exists (live, deactivated or merged: GDPR applies to all of them). */
async function existingCustomer(db: Executor, rawId: string, field: string) {
  const id = requireUuid(field, rawId);
  const [row] = await lockCustomers(db, [id]);
  if (!row) throw new NotFoundError('Customer', id, CUSTOMER_NOT_FOUND);
  return row;
}

/** This subgraph's part of the preview; each other subgraph contributes its own through `ErasurePreview`. */
export async function previewCustomerErasure(db: Database, rawCustomerId: string): Promise<ErasureSectionData> {
  const id = requireUuid('customerId', rawCustomerId);
  const [customer] = await findCustomersByIds(db, [id]);
  if (!customer) throw new NotFoundError('Customer', id, CUSTOMER_NOT_FOUND);
  return previewErasure(db, customerErasurePlan, await customerAndMergedIds(db, id));
}

/**
 * GDPR erasure, in one transaction here: the customer and every duplicate merged into it are pseudonymised,
 * deactivated and marked erased (never changed or reactivated again), the request is recorded with who, why and
 * when, this subgraph's report section is written, and CustomerErasureRequested tells every other subgraph to do
 * its part. Erasing an erased customer again answers the existing report and changes nothing.
 */
export async function eraseCustomer(db: Database, caller: Caller, events: EventContext, rawId: string, rawReason: string): Promise<ErasureRow> {
  const reason = requireLength('reason', rawReason, { min: 3, max: 500 });
  const id = requireUuid('id', rawId);
  return db.transaction(async (tx) => {
    await existingCustomer(tx, id, 'id');
    const earlier = await findErasureOfCustomer(tx, id);
    if (earlier) return earlier;
    const customerIds = await customerAndMergedIds(tx, id);
    const locked = await lockCustomers(tx, customerIds);
    const now = new Date();
    const erasure = await insertErasure(tx, { customerId: id, customerIds, reason, requestedBy: caller.subject, requestedAt: now });
    for (const customer of locked) {
      await updateCustomerRow(tx, customer.id, {
        erasedAt: customer.erasedAt ?? now,
        deactivatedAt: customer.deactivatedAt ?? now,
        deactivatedBy: customer.deactivatedBy ?? caller.subject,
        updatedAt: now,
      });
    }
    const section = await applyErasure(tx, customerErasurePlan, customerIds);
    await insertErasureSection(tx, erasure.id, section, now);
    await recordHistory(
      tx,
      locked.map((c) => ({
        customerId: c.id,
        attribute: 'DEACTIVATION' as const,
        fromValue: c.deactivatedAt ? 'DEACTIVATED' : 'LIVE',
        toValue: 'ERASED',
        source: 'MANUAL' as const,
        reason: `GDPR erasure ${erasure.id}`,
        actor: caller.subject,
      })),
    );
    const data: CustomerErasureRequestedData = { erasureId: erasure.id, customerId: id, customerIds };
    // Written after the outbox was scrubbed, and carrying ids only.
    await recordEvent(tx, outbox, events, {
      type: CUSTOMER_ERASURE_REQUESTED,
      aggregateType: 'Customer',
      aggregateId: id,
      customerId: id,
      data: { ...data, requestedBy: caller.subject, requestedAt: now.toISOString() },
    });
    return erasure;
  });
}

/**
 * Completes erasure reports from the other subgraphs' CustomerErasureCompleted events: each section once (a
 * redelivery keeps the first), and the report is COMPLETED when every subgraph has answered.
 */
export const erasureCompletionConsumer: EventConsumer = {
  name: 'customer.erasure-completion',
  types: CUSTOMER_ERASURE_COMPLETED_TYPES,
  // Each subgraph's section on its own, whatever order they answer in.
  orderedWithin: 'type',
  async handle(db, event) {
    const completion = erasureCompletionOf(event);
    if (!completion) return;
    await db.transaction(async (tx) => {
      const erasure = await lockErasure(tx, completion.erasureId);
      if (!erasure) return;
      const completedAt = new Date(completion.completedAt);
      await insertErasureSection(tx, erasure.id, completion, completedAt);
      const sections = await findErasureSections(tx, [erasure.id]);
      if (ERASURE_SUBGRAPHS.every((s) => sections.some((section) => section.subgraph === s))) {
        const last = sections.reduce((at, s) => (s.completedAt > at ? s.completedAt : at), sections[0]!.completedAt);
        await completeErasure(tx, erasure.id, last);
      }
    });
  },
};
