import {
  BadUserInputError,
  CUSTOMER_MERGED,
  DomainRuleError,
  NotFoundError,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { eq } from 'drizzle-orm';
import { lockCustomers, repointMergedInto, updateCustomerRow } from '../db/customers.repo.ts';
import { recordHistory } from '../db/history.repo.ts';
import { moveCustomerRecords } from '../db/merge.repo.ts';
import { customers, outbox, type CustomerRow } from '../db/schema.ts';
import { moveContacts } from './contacts.ts';
import { CUSTOMER_DEACTIVATED, CUSTOMER_NOT_FOUND, requireLiveCustomer } from './guards.ts';
import { refreshCustomerValue } from './value.ts';

type Status = CustomerRow['status'];

/** DOMAIN.md statuses: where each may go next. */
export const STATUS_TRANSITIONS: Record<Status, readonly Status[]> = {
  ACTIVE: ['INACTIVE', 'SUSPENDED', 'ARCHIVED'],
  INACTIVE: ['ACTIVE', 'ARCHIVED'],
  SUSPENDED: ['ACTIVE', 'ARCHIVED'],
  ARCHIVED: ['ACTIVE'],
};

const requireReason = (reason: string) => requireLength('reason', reason, { min: 3, max: 500 });

async function announce(tx: Executor, events: EventContext, type: string, customer: CustomerRow, data: Record<string, unknown>) {
  await recordEvent(tx, outbox, events, {
    type: `cmp.customer.${type}`,
    aggregateType: 'Customer',
    aggregateId: customer.id,
    customerId: customer.id,
    data: { customerId: customer.id, customerNumber: customer.customerNumber, ...data },
  });
}

export async function changeCustomerStatus(
  db: Database,
  caller: Caller,
  events: EventContext,
  id: string,
  to: Status,
  rawReason: string,
): Promise<CustomerRow> {
  const reason = requireReason(rawReason);
  return db.transaction(async (tx) => {
    const current = await requireLiveCustomer(tx, id, { field: 'id', forUpdate: true });
    const allowed = STATUS_TRANSITIONS[current.status];
    if (!allowed.includes(to)) {
      throw new DomainRuleError(
        'CUST-003',
        `A ${current.status} customer cannot become ${to}; allowed: ${allowed.join(', ')}`,
        { field: 'status', from: current.status, to, allowed },
      );
    }
    const updated = await updateCustomerRow(tx, current.id, { status: to, updatedAt: new Date() });
    await recordHistory(tx, {
      customerId: current.id,
      attribute: 'STATUS',
      fromValue: current.status,
      toValue: to,
      source: 'MANUAL',
      reason,
      actor: caller.subject,
    });
    await announce(tx, events, 'CustomerStatusChanged', updated, { fromStatus: current.status, toStatus: to, reason, changedBy: caller.subject });
    return updated;
  });
}

async function lockCustomer(tx: Executor, rawId: string): Promise<CustomerRow> {
  const id = requireUuid('id', rawId);
  const [row] = await lockCustomers(tx, [id]);
  if (!row) throw new NotFoundError('Customer', id, CUSTOMER_NOT_FOUND);
  return row;
}

/** Soft delete: the record stays, hidden from normal reads and closed to changes, with who, when and why. */
export async function deactivateCustomer(db: Database, caller: Caller, events: EventContext, id: string, rawReason: string): Promise<CustomerRow> {
  const reason = requireReason(rawReason);
  return db.transaction(async (tx) => {
    const current = await lockCustomer(tx, id);
    if (current.deactivatedAt) {
      throw new DomainRuleError(CUSTOMER_DEACTIVATED, `Customer ${current.id} is already deactivated`, { id: current.id });
    }
    const now = new Date();
    const updated = await updateCustomerRow(tx, current.id, {
      deactivatedAt: now,
      deactivatedBy: caller.subject,
      deactivationReason: reason,
      updatedAt: now,
    });
    await recordHistory(tx, { customerId: current.id, attribute: 'DEACTIVATION', fromValue: 'LIVE', toValue: 'DEACTIVATED', source: 'MANUAL', reason, actor: caller.subject });
    await announce(tx, events, 'CustomerDeactivated', updated, { reason, deactivatedBy: caller.subject });
    return updated;
  });
}

/**
 * Brings a deactivated customer back. A merged duplicate stays merged (its records live on the target); a
 * customer whose e-mail a live customer has taken meanwhile fails with CUST-002 (the unique index decides).
 */
export async function reactivateCustomer(db: Database, caller: Caller, events: EventContext, id: string, rawReason: string): Promise<CustomerRow> {
  const reason = requireReason(rawReason);
  return db.transaction(async (tx) => {
    const current = await lockCustomer(tx, id);
    if (!current.deactivatedAt) throw new BadUserInputError('id', `customer ${current.id} is not deactivated`);
    if (current.erasedAt) throw new BadUserInputError('id', `customer ${current.id} was erased (GDPR) and cannot be reactivated`);
    if (current.mergedIntoId) {
      throw new BadUserInputError('id', `customer ${current.id} was merged into ${current.mergedIntoId} and cannot be reactivated`);
    }
    const updated = await updateCustomerRow(tx, current.id, {
      deactivatedAt: null,
      deactivatedBy: null,
      deactivationReason: null,
      updatedAt: new Date(),
    });
    await recordHistory(tx, { customerId: current.id, attribute: 'DEACTIVATION', fromValue: 'DEACTIVATED', toValue: 'LIVE', source: 'MANUAL', reason, actor: caller.subject });
    await announce(tx, events, 'CustomerReactivated', updated, { reason, reactivatedBy: caller.subject });
    return updated;
  });
}

export interface MergeCustomersInput {
  sourceCustomerId: string;
  targetCustomerId: string;
}

/**
 * Merges a duplicate into the record that stays, all in one transaction: this subgraph's records move now, the
 * source is deactivated and points at the target, and `CustomerMerged` (in the same transaction) tells every
 * other subgraph to move theirs. Any failure (a contact limit, say) undoes the whole merge.
 */
export async function mergeCustomers(db: Database, caller: Caller, events: EventContext, input: MergeCustomersInput): Promise<CustomerRow> {
  const sourceId = requireUuid('sourceCustomerId', input.sourceCustomerId);
  const targetId = requireUuid('targetCustomerId', input.targetCustomerId);
  if (sourceId === targetId) throw new BadUserInputError('targetCustomerId', 'must differ from sourceCustomerId');
  return db.transaction(async (tx) => {
    const locked = await lockCustomers(tx, [sourceId, targetId]);
    const source = locked.find((c) => c.id === sourceId);
    const target = locked.find((c) => c.id === targetId);
    if (!source) throw new NotFoundError('Customer', sourceId, CUSTOMER_NOT_FOUND);
    if (!target) throw new NotFoundError('Customer', targetId, CUSTOMER_NOT_FOUND);
    for (const [field, c] of [['sourceCustomerId', source], ['targetCustomerId', target]] as const) {
      if (c.deactivatedAt) {
        throw new DomainRuleError(CUSTOMER_DEACTIVATED, `${field}: customer ${c.id} is deactivated${c.mergedIntoId ? ` (merged into ${c.mergedIntoId})` : ''}`, { field });
      }
    }
    const contacts = await moveContacts(tx, sourceId, targetId, caller.subject, events);
    const moved = await moveCustomerRecords(tx, sourceId, targetId);
    await repointMergedInto(tx, sourceId, targetId);
    const now = new Date();
    const reason = `Merged into ${target.customerNumber}`;
    await updateCustomerRow(tx, sourceId, {
      deactivatedAt: now,
      deactivatedBy: caller.subject,
      deactivationReason: reason,
      mergedIntoId: targetId,
      updatedAt: now,
    });
    await recordHistory(tx, { customerId: sourceId, attribute: 'MERGE', fromValue: source.customerNumber, toValue: target.customerNumber, source: 'MANUAL', reason, actor: caller.subject });
    await recordHistory(tx, { customerId: targetId, attribute: 'MERGE', fromValue: source.customerNumber, toValue: target.customerNumber, source: 'MANUAL', reason: `${source.customerNumber} merged into this customer`, actor: caller.subject });
    await refreshCustomerValue(tx, targetId, caller.subject, events, `merge of ${source.customerNumber}`);
    // The source's aggregate carries the event, so it follows everything the source published before.
    await recordEvent(tx, outbox, events, {
      type: CUSTOMER_MERGED,
      aggregateType: 'Customer',
      aggregateId: sourceId,
      customerId: targetId,
      data: {
        sourceCustomerId: sourceId,
        targetCustomerId: targetId,
        sourceCustomerNumber: source.customerNumber,
        targetCustomerNumber: target.customerNumber,
        mergedBy: caller.subject,
        moved: { contacts: contacts.moved, duplicateContactsRemoved: contacts.removedAsDuplicates, ...moved },
      },
    });
    const [result] = await tx.select().from(customers).where(eq(customers.id, targetId));
    return result!;
  });
}
