import { eq, getTableName, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { text, timestamp, uuid, type PgSchema, type PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/database.ts';
import { recordEvent, type OutboxTable } from '../db/outbox.ts';
import { BadUserInputError } from '../errors.ts';
import { resultRows } from '../validation.ts';
import type { EventConsumer } from './consumer.ts';
import type { CloudEvent } from './envelope.ts';

/**
 * GDPR erasure fan-out. The customer subgraph pseudonymises its own records and writes CustomerErasureRequested;
 * every other subgraph pseudonymises its records of those customers in one transaction and answers with
 * `cmp.<subgraph>.CustomerErasureCompleted`, which completes the customer subgraph's erasure report. No event of
 * the exchange carries personal data: only ids, table names, field names and counts.
 */
export const CUSTOMER_ERASURE_REQUESTED = 'cmp.customer.CustomerErasureRequested';

/** The subgraphs that hold records of a customer, each contributing one section to an erasure report. */
export const ERASURE_SUBGRAPHS = ['customer', 'interaction', 'case', 'invitation', 'loyalty'] as const;
export type ErasureSubgraph = (typeof ERASURE_SUBGRAPHS)[number];

export const customerErasureCompletedType = (subgraph: string) => `cmp.${subgraph}.CustomerErasureCompleted`;
export const CUSTOMER_ERASURE_COMPLETED_TYPES = ERASURE_SUBGRAPHS.filter((s) => s !== 'customer').map(customerErasureCompletedType);

/** Written in placeholders of free text: says the value was removed, and carries nothing of it. */
export const ERASED_TEXT = '[erased]';

export interface CustomerErasureRequestedData {
  erasureId: string;
  /** The customer the erasure was asked for. */
  customerId: string;
  /** That customer and every duplicate merged into it: all are erased. */
  customerIds: string[];
}

export interface ErasureTableChange {
  /** `schema.table`. */
  table: string;
  rowsAffected: number;
  /** The columns pseudonymised. */
  fields: string[];
}

export interface ErasureRetainedRecords {
  table: string;
  count: number;
  /** What is kept and why, e.g. "cases with their status, category and compensation amounts". */
  what: string;
}

export interface ErasureSectionData {
  subgraph: string;
  tables: ErasureTableChange[];
  retained: ErasureRetainedRecords[];
}

export interface CustomerErasureCompletedData extends ErasureSectionData {
  erasureId: string;
  customerId: string;
  completedAt: string;
}

/** One table's part of an erasure: the rows of the customers and the columns replaced. */
export interface ErasureStep {
  table: PgTable;
  fields: string[];
  /** The rows holding these customers' data. */
  where: (customerIds: string[]) => SQL;
  /** The SET list: each listed field to null or a placeholder free of personal data. */
  set: SQL;
}

/** Records kept, counted for the preview and the report (financial and compensation records, anonymised). */
export interface ErasureRetention {
  table: PgTable;
  what: string;
  where: (customerIds: string[]) => SQL;
}

/**
 * Personal data a subgraph keeps outside its tables (files in a blob store): counted for the preview and removed
 * before the erasure's transaction, idempotently (removing what is already gone is fine), so a redelivery after a
 * failed transaction removes nothing twice and misses nothing.
 */
export interface ErasureOutsideTables {
  /** How the report names it, e.g. `blob store: case attachments`. */
  name: string;
  fields: string[];
  count(db: Executor, customerIds: string[]): Promise<number>;
  remove(db: Executor, customerIds: string[]): Promise<number>;
}

/**
 * The customers erased, in a subgraph's own schema: nothing new is recorded for them after their erasure
 * (`refuseErasedCustomer`), so no new personal data is attached to a pseudonymised identity.
 */
export function defineErasedCustomers(schema: PgSchema) {
  return schema.table('erased_customers', {
    customerId: uuid('customer_id').primaryKey(),
    erasureId: text('erasure_id').notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
  });
}

export type ErasedCustomersTable = ReturnType<typeof defineErasedCustomers>;

/** One lock per customer: shared by the writes that record something for it, exclusive for its erasure. */
const customerLockKey = (customerId: string) => sql`hashtext(${`customer:${customerId.toLowerCase()}`})`;

/**
 * Refuses to record anything new for an erased customer. Call it first inside the transaction that writes the
 * record: it holds the customer's lock (shared) until that transaction ends, so an erasure running at the same time
 * waits for the record and then pseudonymises it too, or the record waits for the erasure and is refused.
 */
export async function refuseErasedCustomer(tx: Executor, erased: ErasedCustomersTable, customerId: string, field = 'customerId'): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock_shared(${customerLockKey(customerId)})`);
  const [row] = await tx.select({ erasedAt: erased.erasedAt }).from(erased).where(eq(erased.customerId, customerId));
  if (row) {
    throw new BadUserInputError(field, `customer ${customerId} was erased (GDPR) on ${row.erasedAt.toISOString().slice(0, 10)}; nothing new can be recorded for it`);
  }
}

export interface ErasurePlan {
  subgraph: string;
  outbox: OutboxTable;
  /** Where this subgraph remembers the customers it erased (every subgraph but customer, which marks the record). */
  erasedCustomers?: ErasedCustomersTable;
  steps: ErasureStep[];
  retained: ErasureRetention[];
  outside?: ErasureOutsideTables[];
}

/** `customer_id = any(ids)` for a uuid column. */
export const customerIn = (column: SQLWrapper, customerIds: string[]): SQL =>
  sql`${column} = any(${`{${customerIds.join(',')}}`}::uuid[])`;

const qualifiedName = (table: PgTable) => {
  const schema = (table as unknown as Record<symbol, string | undefined>)[Symbol.for('drizzle:Schema')];
  return schema ? `${schema}.${getTableName(table)}` : getTableName(table);
};

const countOf = async (db: Executor, query: SQL) => Number(resultRows<{ n: number | string }>(await db.execute(query))[0]?.n ?? 0);

/**
 * The outbox's own step: stored event payloads of these customers keep their numbers, booleans and ids (amounts
 * of purchases, refunds and compensation stay traceable) and lose every other value. The erasure exchange itself
 * carries nothing personal and stays as written, so an unsent completion is still sent intact.
 */
function outboxStep(outbox: OutboxTable): ErasureStep {
  return {
    table: outbox,
    fields: ['data'],
    where: (ids) =>
      sql`${customerIn(outbox.customerId, ids)} and ${outbox.type} not like '%.CustomerErasure%' and not ${outbox.data} @> '{"erased": true}'::jsonb`,
    set: sql`data = (
      select coalesce(jsonb_object_agg(e.key, case
        when jsonb_typeof(e.value) in ('number', 'boolean', 'null') then e.value
        when jsonb_typeof(e.value) = 'string' and (e.value #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then e.value
        else to_jsonb(${ERASED_TEXT}::text) end), '{}'::jsonb) || '{"erased": true}'::jsonb
      from jsonb_each(${outbox.data}) as e)`,
  };
}

const allSteps = (plan: ErasurePlan) => [...plan.steps, outboxStep(plan.outbox)];

async function retainedRecords(db: Executor, plan: ErasurePlan, customerIds: string[]): Promise<ErasureRetainedRecords[]> {
  const retained: ErasureRetainedRecords[] = [];
  for (const r of plan.retained) {
    const count = await countOf(db, sql`select count(*)::int as n from ${r.table} where ${r.where(customerIds)}`);
    retained.push({ table: qualifiedName(r.table), count, what: r.what });
  }
  return retained;
}

/** What an erasure of these customers would change in this subgraph now, and what it would keep. Reads only. */
export async function previewErasure(db: Executor, plan: ErasurePlan, customerIds: string[]): Promise<ErasureSectionData> {
  const tables: ErasureTableChange[] = [];
  for (const step of allSteps(plan)) {
    const rowsAffected = await countOf(db, sql`select count(*)::int as n from ${step.table} where ${step.where(customerIds)}`);
    tables.push({ table: qualifiedName(step.table), rowsAffected, fields: step.fields });
  }
  for (const outside of plan.outside ?? []) {
    tables.push({ table: outside.name, rowsAffected: await outside.count(db, customerIds), fields: outside.fields });
  }
  return { subgraph: plan.subgraph, tables, retained: await retainedRecords(db, plan, customerIds) };
}

/** Removes what the plan keeps outside its tables; run before `applyErasure`'s transaction (see ErasureOutsideTables). */
export async function removeOutsideTables(db: Executor, plan: ErasurePlan, customerIds: string[]): Promise<ErasureTableChange[]> {
  const removed: ErasureTableChange[] = [];
  for (const outside of plan.outside ?? []) {
    removed.push({ table: outside.name, rowsAffected: await outside.remove(db, customerIds), fields: outside.fields });
  }
  return removed;
}

/**
 * Pseudonymises this subgraph's records of the customers, in the caller's transaction. Running it again changes
 * nothing more: every value it writes is a fixed placeholder (or derived from a row's own id).
 */
export async function applyErasure(
  tx: Executor,
  plan: ErasurePlan,
  customerIds: string[],
  removedOutside: ErasureTableChange[] = [],
): Promise<ErasureSectionData> {
  const tables: ErasureTableChange[] = [...removedOutside];
  for (const step of allSteps(plan)) {
    const rowsAffected = await countOf(
      tx,
      sql`with changed as (update ${step.table} set ${step.set} where ${step.where(customerIds)} returning 1) select count(*)::int as n from changed`,
    );
    tables.push({ table: qualifiedName(step.table), rowsAffected, fields: step.fields });
  }
  return { subgraph: plan.subgraph, tables, retained: await retainedRecords(tx, plan, customerIds) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The erasure an event asks for, or null when it is not a usable CustomerErasureRequested event. */
export function erasureRequestOf(event: CloudEvent): CustomerErasureRequestedData | null {
  const { erasureId, customerId, customerIds } = (event.data ?? {}) as Partial<CustomerErasureRequestedData>;
  if (typeof erasureId !== 'string' || typeof customerId !== 'string' || !UUID.test(customerId)) return null;
  const ids = Array.isArray(customerIds) ? customerIds.filter((id): id is string => typeof id === 'string' && UUID.test(id)) : [];
  return { erasureId, customerId, customerIds: [...new Set([customerId, ...ids])] };
}

/** A subgraph's completion of an erasure, or null when the event is not one. */
export function erasureCompletionOf(event: CloudEvent): CustomerErasureCompletedData | null {
  const data = (event.data ?? {}) as Partial<CustomerErasureCompletedData>;
  if (typeof data.erasureId !== 'string' || typeof data.subgraph !== 'string' || !Array.isArray(data.tables)) return null;
  return {
    erasureId: data.erasureId,
    customerId: String(data.customerId ?? ''),
    subgraph: data.subgraph,
    completedAt: typeof data.completedAt === 'string' ? data.completedAt : event.time,
    tables: data.tables,
    retained: Array.isArray(data.retained) ? data.retained : [],
  };
}

/**
 * The consumer every subgraph but customer runs: pseudonymises its records of the erased customers and writes its
 * completion event, in one transaction. A redelivered request finds nothing left to change and writes no second
 * completion (the first is found in the outbox by the erasure id).
 */
export function customerErasureConsumer(plan: ErasurePlan): EventConsumer {
  const completedType = customerErasureCompletedType(plan.subgraph);
  return {
    name: `${plan.subgraph}.customer-erasure`,
    types: [CUSTOMER_ERASURE_REQUESTED],
    async handle(db, event) {
      const request = erasureRequestOf(event);
      if (!request) return;
      const removedOutside = await removeOutsideTables(db, plan, request.customerIds);
      await db.transaction(async (tx) => {
        // Erasures of one customer run one at a time per subgraph, so a redelivery racing the first sees its completion.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`erasure:${plan.subgraph}:${request.erasureId}`}))`);
        // Writes in flight for these customers finish first (and are erased below); later ones are refused.
        for (const id of [...request.customerIds].sort()) await tx.execute(sql`select pg_advisory_xact_lock(${customerLockKey(id)})`);
        if (plan.erasedCustomers) {
          await tx
            .insert(plan.erasedCustomers)
            .values(request.customerIds.map((customerId) => ({ customerId, erasureId: request.erasureId })))
            .onConflictDoNothing();
        }
        const section = await applyErasure(tx, plan, request.customerIds, removedOutside);
        const answered = await countOf(
          tx,
          sql`select count(*)::int as n from ${plan.outbox} where ${plan.outbox.type} = ${completedType} and ${plan.outbox.aggregateId} = ${request.erasureId}`,
        );
        if (answered > 0) return;
        const data: CustomerErasureCompletedData = {
          erasureId: request.erasureId,
          customerId: request.customerId,
          completedAt: new Date().toISOString(),
          ...section,
        };
        await recordEvent(tx, plan.outbox, { source: `cmp.${plan.subgraph}`, traceparent: event.traceparent ?? null }, {
          type: completedType,
          aggregateType: 'CustomerErasure',
          aggregateId: request.erasureId,
          customerId: request.customerId,
          data: data as unknown as Record<string, unknown>,
        });
      });
    },
  };
}
