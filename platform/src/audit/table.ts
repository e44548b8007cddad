import { sql } from 'drizzle-orm';
import { bigserial, index, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core';

/**
 * The audit trail, one per subgraph schema: every mutation (refused ones too) and every sensitive read of the
 * data the subgraph owns. Ids and field names only, never values, so erasing a customer need not touch it.
 * Append-only: a trigger (see the subgraph's `audit_append_only` migration) refuses UPDATE and DELETE.
 */
export function defineAuditLog(schema: PgSchema) {
  return schema.table(
    'audit_log',
    {
      id: bigserial('id', { mode: 'number' }).primaryKey(),
      occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
      requestId: text('request_id').notNull(),
      /** The token's subject: a staff user, a customer id, a lounge device. */
      subject: text('subject').notNull(),
      roles: text('roles').array().notNull(),
      /** The mutation field, or `sensitive-read`, `audit-read`, `export`, ... */
      action: text('action').notNull(),
      /** `ok`, or the error code the caller received (FORBIDDEN, NOT_FOUND, CUST-001, ...). */
      outcome: text('outcome').notNull(),
      /** Argument and input field names (dotted paths), or the sensitive fields read. Never values. */
      fields: text('fields').array().notNull().default(sql`'{}'::text[]`),
      /** The customers the action concerned (a merge concerns two). */
      customerIds: text('customer_ids').array().notNull().default(sql`'{}'::text[]`),
      targetType: text('target_type'),
      targetId: text('target_id'),
      clientAddress: text('client_address'),
    },
    (t) => [
      index('audit_log_customer_ids_idx').using('gin', t.customerIds),
      index('audit_log_occurred_at_idx').on(t.occurredAt, t.id),
    ],
  );
}

export type AuditLogTable = ReturnType<typeof defineAuditLog>;

/**
 * The trigger that makes an audit table append-only, for the subgraph's hand-written migration (drizzle-kit does
 * not generate triggers). Plain PL/pgSQL, so it runs on PGlite as on Postgres.
 */
export function auditAppendOnlySql(schema: string): string {
  return `CREATE OR REPLACE FUNCTION "${schema}".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_append_only ON "${schema}"."audit_log";
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "${schema}"."audit_log"
  FOR EACH ROW EXECUTE FUNCTION "${schema}".audit_log_append_only();
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_no_truncate ON "${schema}"."audit_log";
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "${schema}"."audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".audit_log_append_only();
`;
}
