import { and, arrayContains, desc, gte, lte, sql, type SQL } from 'drizzle-orm';
import { requirePrivilege } from '../auth/caller.ts';
import { Privilege } from '../auth/roles.ts';
import type { SubgraphName } from '../config.ts';
import { BadUserInputError } from '../errors.ts';
import { requirePageSize } from '../pagination.ts';
import type { SubgraphContext } from '../server/subgraph.ts';
import { requireUuid } from '../validation.ts';
import type { AuditLogTable } from './table.ts';

/** What the gateway hands each subgraph for `AuditTrail`: the customer whose trail is read. */
export interface AuditTrailReference {
  customerId: string;
}

export interface AuditRecordsArgs {
  from?: Date | null;
  to?: Date | null;
  first?: number | null;
  after?: string | null;
}

/** One audit row as the shared `AuditRecord` GraphQL type. */
export interface AuditRecordNode {
  id: string;
  subgraph: string;
  occurredAt: Date;
  action: string;
  outcome: string;
  subject: string;
  roles: string[];
  fields: string[];
  customerIds: string[];
  targetType: string | null;
  targetId: string | null;
  requestId: string;
  clientAddress: string | null;
}

const encode = (at: Date, id: number) => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');

function decode(cursor: string): { at: string; id: number } {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // reported below
  }
  const [iso, id] = Array.isArray(parsed) ? parsed : [];
  if (typeof iso !== 'string' || Number.isNaN(new Date(iso).getTime()) || !Number.isSafeInteger(id)) {
    throw new BadUserInputError('after', 'is not a cursor returned by this field');
  }
  return { at: new Date(iso).toISOString(), id: id as number };
}

/** The entity reference: only a DataPrivacyOfficer (or Admin) with MFA gets past it. */
export function auditTrailReference(reference: AuditTrailReference, context: SubgraphContext<unknown>): AuditTrailReference {
  requirePrivilege(context.caller, Privilege.AuditRead);
  return { customerId: requireUuid('customerId', reference.customerId) };
}

/**
 * One subgraph's part of a customer's audit trail (`AuditTrail.<subgraph>Records`), newest first with keyset
 * cursors. Reading it is itself audited (`audit-read`, in this subgraph's own trail).
 */
export function auditRecordsResolver(table: AuditLogTable, subgraph: SubgraphName, fieldName: string) {
  return async (
    parent: AuditTrailReference,
    args: AuditRecordsArgs,
    context: SubgraphContext<unknown>,
  ) => {
    requirePrivilege(context.caller, Privilege.AuditRead);
    const customerId = requireUuid('customerId', parent.customerId);
    const first = requirePageSize('first', args.first, 20, 200);
    if (args.from && args.to && args.from > args.to) throw new BadUserInputError('from', 'must not be after to');
    const conditions: SQL[] = [arrayContains(table.customerIds, [customerId])];
    if (args.from) conditions.push(gte(table.occurredAt, args.from));
    if (args.to) conditions.push(lte(table.occurredAt, args.to));
    if (args.after) {
      const position = decode(args.after);
      conditions.push(sql`(${table.occurredAt}, ${table.id}) < (${position.at}::timestamptz, ${position.id}::bigint)`);
    }
    context.audit.record({
      action: 'audit-read',
      fields: [fieldName],
      customerIds: [customerId],
      targetType: 'AuditTrail',
      targetId: customerId,
    });
    const rows = await context.db
      .select()
      .from(table)
      .where(and(...conditions))
      .orderBy(desc(table.occurredAt), desc(table.id))
      .limit(first + 1);
    const page = rows.slice(0, first);
    const edges = page.map((row) => ({
      cursor: encode(row.occurredAt, row.id),
      node: {
        id: `${subgraph}:${row.id}`,
        subgraph,
        occurredAt: row.occurredAt,
        action: row.action,
        outcome: row.outcome,
        subject: row.subject,
        roles: row.roles,
        fields: row.fields,
        customerIds: row.customerIds,
        targetType: row.targetType,
        targetId: row.targetId,
        requestId: row.requestId,
        clientAddress: row.clientAddress,
      } satisfies AuditRecordNode,
    }));
    return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  };
}
