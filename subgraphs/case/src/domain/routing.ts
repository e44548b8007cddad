import {
  BadUserInputError,
  NotFoundError,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
} from '@cmp/platform';
import { and, asc, count, eq, inArray, notInArray, sql } from 'drizzle-orm';
import {
  agents,
  cases,
  outbox,
  queueMembers,
  queues,
  routingRules,
  type AgentRow,
  type CaseRow,
  type QueueRow,
  type RoutingRuleRow,
  type RoutingStrategy,
} from '../db/schema.ts';
import { CASE_CATEGORIES, CASE_PRIORITIES } from './rules.ts';

const CLOSED_STATUSES = ['RESOLVED', 'CLOSED'] as const;
const CODE = /^[A-Z0-9][A-Z0-9_-]{1,39}$/;

/** The first rule whose every given condition matches the case, or undefined. */
export function matchRule(rules: readonly RoutingRuleRow[], row: Pick<CaseRow, 'category' | 'priority' | 'language' | 'customerTier'>) {
  return rules.find(
    (r) =>
      (r.category === null || r.category === row.category) &&
      (r.priority === null || r.priority === row.priority) &&
      (r.language === null || r.language === row.language) &&
      (r.tier === null || r.tier === row.customerTier),
  );
}

/** Open cases per agent. */
async function loads(tx: Executor, agentIds: string[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map();
  const rows = await tx
    .select({ agent: cases.assignee, open: count() })
    .from(cases)
    .where(and(inArray(cases.assignee, agentIds), notInArray(cases.status, [...CLOSED_STATUSES])))
    .groupBy(cases.assignee);
  return new Map(rows.map((r) => [r.agent!, Number(r.open)]));
}

/** Who in the queue takes the next case, within capacity; null when every agent is full. */
export function pickAgent(queue: QueueRow, members: readonly AgentRow[], load: ReadonlyMap<string, number>): AgentRow | null {
  const available = members.filter((a) => a.active && (load.get(a.id) ?? 0) < a.capacity).sort((a, b) => a.id.localeCompare(b.id));
  if (available.length === 0) return null;
  if (queue.strategy === 'LEAST_LOADED') {
    const ratio = (a: AgentRow) => (load.get(a.id) ?? 0) / a.capacity;
    return available.reduce((best, a) => (ratio(a) < ratio(best) ? a : best));
  }
  return available.find((a) => queue.lastAssignedAgent === null || a.id > queue.lastAssignedAgent) ?? available[0]!;
}

function recordAssigned(tx: Executor, events: EventContext, row: CaseRow, by: string) {
  return recordEvent(tx, outbox, events, {
    type: 'cmp.case.CaseAssigned',
    aggregateType: 'Case',
    aggregateId: row.id,
    customerId: row.customerId,
    data: { caseId: row.id, caseNumber: row.caseNumber, customerId: row.customerId, queueCode: row.queueCode, assignee: row.assignee, by },
  });
}

/**
 * Routes a new case inside its opening transaction: the first matching rule names the queue, and the queue's row
 * is locked while an agent is chosen, so simultaneous cases in one queue take turns and never push an agent past
 * capacity. With every agent full the case waits in the queue, unassigned.
 */
export async function routeCase(tx: Executor, events: EventContext, row: CaseRow, now: Date): Promise<CaseRow> {
  const rules = await tx.select().from(routingRules).orderBy(asc(routingRules.position));
  const rule = matchRule(rules, row);
  if (!rule) return row;
  const [queue] = await tx.select().from(queues).where(eq(queues.code, rule.queueCode)).for('update');
  const members = await tx
    .select({ agent: agents })
    .from(queueMembers)
    .innerJoin(agents, eq(agents.id, queueMembers.agentId))
    .where(eq(queueMembers.queueCode, queue!.code));
  const pool = members.map((m) => m.agent);
  const agent = pickAgent(queue!, pool, await loads(tx, pool.map((a) => a.id)));
  const [routed] = await tx
    .update(cases)
    .set({ queueCode: queue!.code, assignee: agent?.id ?? null, assignedAt: agent ? now : null })
    .where(eq(cases.id, row.id))
    .returning();
  if (agent) await tx.update(queues).set({ lastAssignedAgent: agent.id }).where(eq(queues.code, queue!.code));
  await recordAssigned(tx, events, routed!, 'routing');
  return routed!;
}

/** A supervisor's (or an agent's own) reassignment: to an agent, to a queue, or both; capacity is not enforced. */
export async function assignCase(
  db: Database,
  caller: Caller,
  events: EventContext,
  input: { caseId: string; agentId?: string | null; queueCode?: string | null },
  now = new Date(),
) {
  const caseId = requireUuid('caseId', input.caseId);
  if (!input.agentId && !input.queueCode) throw new BadUserInputError('agentId', 'give an agent, a queue, or both');
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
    if (!row) throw new NotFoundError('Case', caseId, 'COMP-001');
    if (input.agentId) {
      const [agent] = await tx.select().from(agents).where(eq(agents.id, input.agentId));
      if (!agent?.active) throw new BadUserInputError('agentId', `${input.agentId} is not an active agent`);
    }
    if (input.queueCode) {
      const [queue] = await tx.select().from(queues).where(eq(queues.code, input.queueCode));
      if (!queue) throw new BadUserInputError('queueCode', `${input.queueCode} is not a queue`);
    }
    const [updated] = await tx
      .update(cases)
      .set({
        ...(input.queueCode ? { queueCode: input.queueCode } : {}),
        ...(input.agentId !== undefined ? { assignee: input.agentId ?? null, assignedAt: input.agentId ? now : null } : {}),
        updatedAt: now,
      })
      .where(eq(cases.id, caseId))
      .returning();
    await recordAssigned(tx, events, updated!, caller.subject);
    return updated!;
  });
}

/** Open cases, most urgent first (priority, then oldest). */
const URGENCY = sql`case ${cases.priority} when 'CRITICAL' then 0 when 'HIGH' then 1 when 'MEDIUM' then 2 else 3 end`;

export function workList(db: Executor, by: { assignee: string } | { queueCode: string }) {
  return db
    .select()
    .from(cases)
    .where(and('assignee' in by ? eq(cases.assignee, by.assignee) : eq(cases.queueCode, by.queueCode), notInArray(cases.status, [...CLOSED_STATUSES])))
    .orderBy(URGENCY, asc(cases.createdAt))
    .limit(500);
}

export async function defineAgent(db: Database, input: { id: string; name: string; capacity: number; active?: boolean | null }) {
  const id = requireLength('id', input.id, { min: 1, max: 200 });
  const name = requireLength('name', input.name, { min: 1, max: 200 });
  if (!Number.isInteger(input.capacity) || input.capacity < 1 || input.capacity > 500) throw new BadUserInputError('capacity', 'must be from 1 to 500 open cases');
  const values = { id, name, capacity: input.capacity, active: input.active ?? true };
  const [row] = await db.insert(agents).values(values).onConflictDoUpdate({ target: agents.id, set: values }).returning();
  return row!;
}

export async function defineQueue(db: Database, input: { code: string; name: string; strategy: RoutingStrategy; agentIds: readonly string[] }) {
  const code = input.code.trim().toUpperCase();
  if (!CODE.test(code)) throw new BadUserInputError('code', 'must be 2-40 letters, digits, _ or -');
  const name = requireLength('name', input.name, { min: 1, max: 200 });
  return db.transaction(async (tx) => {
    if (input.agentIds.length) {
      const known = await tx.select({ id: agents.id }).from(agents).where(inArray(agents.id, [...input.agentIds]));
      const missing = input.agentIds.filter((id) => !known.some((k) => k.id === id));
      if (missing.length) throw new BadUserInputError('agentIds', `unknown agents: ${missing.join(', ')} (define them first)`);
    }
    const [row] = await tx
      .insert(queues)
      .values({ code, name, strategy: input.strategy })
      .onConflictDoUpdate({ target: queues.code, set: { name, strategy: input.strategy } })
      .returning();
    await tx.delete(queueMembers).where(eq(queueMembers.queueCode, code));
    if (input.agentIds.length) await tx.insert(queueMembers).values([...new Set(input.agentIds)].map((agentId) => ({ queueCode: code, agentId })));
    return row!;
  });
}

export interface RuleInput {
  queueCode: string;
  category?: string | null;
  priority?: string | null;
  language?: string | null;
  tier?: string | null;
}

/** Replaces the rule list; the order given is the order of evaluation. */
export async function setRoutingRules(db: Database, rules: readonly RuleInput[]) {
  rules.forEach((r, i) => {
    if (r.category && !(CASE_CATEGORIES as readonly string[]).includes(r.category)) throw new BadUserInputError(`rules.${i}.category`, `must be one of ${CASE_CATEGORIES.join(', ')}`);
    if (r.priority && !(CASE_PRIORITIES as readonly string[]).includes(r.priority)) throw new BadUserInputError(`rules.${i}.priority`, `must be one of ${CASE_PRIORITIES.join(', ')}`);
  });
  return db.transaction(async (tx) => {
    const codes = [...new Set(rules.map((r) => r.queueCode))];
    const known = codes.length ? await tx.select({ code: queues.code }).from(queues).where(inArray(queues.code, codes)) : [];
    const missing = codes.filter((c) => !known.some((k) => k.code === c));
    if (missing.length) throw new BadUserInputError('rules', `unknown queues: ${missing.join(', ')}`);
    await tx.delete(routingRules);
    if (rules.length === 0) return [];
    return tx
      .insert(routingRules)
      .values(
        rules.map((r, position) => ({
          position,
          queueCode: r.queueCode,
          category: r.category ?? null,
          priority: r.priority ?? null,
          language: r.language?.toLowerCase() ?? null,
          tier: r.tier ?? null,
        })),
      )
      .returning();
  });
}
