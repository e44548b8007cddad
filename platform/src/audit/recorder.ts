import type { Caller } from '../auth/caller.ts';
import { sql } from 'drizzle-orm';
import { preparedStatement, type Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { AuditLogTable } from './table.ts';

/** One audit record as the code describes it; who, when and from where come from the request. */
export interface AuditEntry {
  /** The mutation field, or `sensitive-read`, `audit-read`, `export`, ... */
  action: string;
  /** `ok` (the default) or the error code the caller received. */
  outcome?: string;
  /** Field names (arguments, input fields, sensitive fields read). Never values. */
  fields?: string[];
  customerIds?: string[];
  targetType?: string | null;
  targetId?: string | null;
}

export type AuditRow = AuditLogTable['$inferInsert'];

/**
 * A request's audit records, buffered and written once when the request ends (the audit plugin flushes it), so
 * a resolver only notes what happened and a request with nothing to audit costs nothing.
 */
export interface AuditRecorder {
  /** The caller read these sensitive fields of this customer (passportNumber, dateOfBirth, address...). */
  sensitiveRead(customerId: string, fields: string[]): void;
  /** Any other audited action (audit-read, export, ...). */
  record(entry: AuditEntry): void;
  /** The rows noted so far, not yet written. */
  readonly pending: readonly AuditRow[];
  /**
   * Writes what was noted: at once (the request waits for it), or through the write-behind buffer for hot paths
   * (batched; at most the last batch is lost if the process crashes).
   */
  flush(mode?: 'now' | 'write-behind'): Promise<void>;
}

export interface AuditRequestInfo {
  caller: Pick<Caller, 'subject' | 'roles'>;
  requestId: string;
  clientAddress: string | null;
}

export function createAuditRecorder(writer: AuditWriter, request: AuditRequestInfo): AuditRecorder {
  let rows: AuditRow[] = [];
  /** Sensitive reads of one customer in one request make one record listing every field read. */
  const sensitive = new Map<string, AuditRow>();
  const base = () => ({
    occurredAt: new Date(),
    requestId: request.requestId,
    subject: request.caller.subject,
    roles: [...request.caller.roles],
    clientAddress: request.clientAddress,
  });
  const recorder: AuditRecorder = {
    sensitiveRead(customerId, fields) {
      const existing = sensitive.get(customerId);
      if (existing) {
        existing.fields = [...new Set([...(existing.fields ?? []), ...fields])];
        return;
      }
      const row: AuditRow = {
        ...base(),
        action: 'sensitive-read',
        outcome: 'ok',
        fields: [...new Set(fields)],
        customerIds: [customerId],
        targetType: 'Customer',
        targetId: customerId,
      };
      sensitive.set(customerId, row);
      rows.push(row);
    },
    record(entry) {
      rows.push({
        ...base(),
        action: entry.action,
        outcome: entry.outcome ?? 'ok',
        fields: [...new Set(entry.fields ?? [])],
        customerIds: [...new Set((entry.customerIds ?? []).filter((id) => typeof id === 'string' && id.length > 0))],
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
      });
    },
    get pending() {
      return rows;
    },
    async flush(mode = 'now') {
      if (rows.length === 0) return;
      const batch = rows;
      rows = [];
      sensitive.clear();
      if (mode === 'write-behind') writer.enqueue(batch);
      else await writer.write(batch);
    },
  };
  return recorder;
}

export interface AuditWriterOptions {
  /** The write-behind buffer is written at least this often (ms). */
  intervalMs?: number;
  /** ... and as soon as it holds this many rows. */
  maxRows?: number;
}

/**
 * Writes a subgraph's audit rows: directly (one multi-row insert per request) or through a write-behind buffer
 * flushed every `intervalMs` or `maxRows` rows, and on `stop`. Only the door-scan path uses the buffer: its
 * answer must not wait for the audit write; a crash loses at most the rows of the last interval.
 */
export class AuditWriter {
  private queue: AuditRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;
  private readonly maxRows: number;

  constructor(
    private readonly db: Database,
    private readonly table: AuditLogTable,
    private readonly logger?: Logger,
    options: AuditWriterOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 50;
    this.maxRows = options.maxRows ?? 500;
  }

  /**
   * A batch is one statement with one parameter, the rows as JSON, rendered once per writer: drizzle's multi-row
   * insert built a parameter per column per row on every flush (a tenth of the door's CPU in the invitation subgraph).
   */
  private readonly insert = preparedStatement('audit_insert', () => {
    const t = this.table;
    return sql`
      insert into ${t} (occurred_at, request_id, subject, roles, action, outcome, fields, customer_ids, target_type, target_id, client_address)
      select coalesce(r.occurred_at, now()), r.request_id, r.subject, r.roles, r.action, r.outcome, coalesce(r.fields, '{}'),
             coalesce(r.customer_ids, '{}'), r.target_type, r.target_id, r.client_address
        from jsonb_to_recordset(${sql.placeholder('rows')}::jsonb) as r(
               occurred_at timestamptz, request_id text, subject text, roles text[], action text, outcome text, fields text[],
               customer_ids text[], target_type text, target_id text, client_address text)`;
  });

  async write(rows: AuditRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.maxRows) {
      const batch = rows.slice(i, i + this.maxRows).map((r) => ({
        occurred_at: r.occurredAt,
        request_id: r.requestId,
        subject: r.subject,
        roles: r.roles,
        action: r.action,
        outcome: r.outcome,
        fields: r.fields,
        customer_ids: r.customerIds,
        target_type: r.targetType,
        target_id: r.targetId,
        client_address: r.clientAddress,
      }));
      await this.insert.execute(this.db, { rows: JSON.stringify(batch) });
    }
  }

  enqueue(rows: AuditRow[]): void {
    this.queue.push(...rows);
    if (this.queue.length >= this.maxRows) {
      void this.drain();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.drain(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered so far; resolves once it is in the database. */
  drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.write(batch);
      } catch (error) {
        // The rows are not retried forever: a broken database must not grow the buffer without bound.
        this.logger?.error({ err: error, rows: batch.length }, 'audit rows could not be written');
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    await this.drain();
  }
}

const writers = new WeakMap<Database, AuditWriter>();

/** One writer per database handle in the process, so every request of a subgraph shares its buffer. */
export function auditWriterFor(db: Database, table: AuditLogTable, logger?: Logger): AuditWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new AuditWriter(db, table, logger);
    writers.set(db, writer);
  }
  return writer;
}
