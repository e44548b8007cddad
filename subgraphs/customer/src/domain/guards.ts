import { DomainRuleError, NotFoundError, requireUuid, type Executor } from '@cmp/platform';
import { eq } from 'drizzle-orm';
import { customers, type CustomerRow } from '../db/schema.ts';

export const CUSTOMER_NOT_FOUND = 'CUST-001';
export const CUSTOMER_DEACTIVATED = 'CUST-004';

/**
 * The customer a change applies to, which must exist (CUST-001) and be live (CUST-004: deactivated customers
 * cannot be modified). `forUpdate` locks its row until the transaction ends: every change that checks a rule over
 * the customer's records (contact limit, single primary, lifetime value) takes this lock first, so concurrent
 * changes of one customer run one after another and never both pass a check.
 */
export async function requireLiveCustomer(
  db: Executor,
  rawId: string,
  { field = 'customerId', forUpdate = false }: { field?: string; forUpdate?: boolean } = {},
): Promise<CustomerRow> {
  const id = requireUuid(field, rawId);
  const query = db.select().from(customers).where(eq(customers.id, id));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('Customer', id, CUSTOMER_NOT_FOUND);
  if (row.deactivatedAt) {
    throw new DomainRuleError(
      CUSTOMER_DEACTIVATED,
      row.mergedIntoId
        ? `Customer ${id} was merged into ${row.mergedIntoId} and cannot be changed; change ${row.mergedIntoId} instead`
        : `Customer ${id} is deactivated and cannot be changed; reactivate it first`,
      { id, ...(row.mergedIntoId ? { mergedIntoId: row.mergedIntoId } : {}) },
    );
  }
  return row;
}
