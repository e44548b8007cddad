import { resultRows, type Executor } from '@cmp/platform';
import { and, eq, gt, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import { customers, type CustomerRow, type NewCustomerRow } from './schema.ts';

const sealed = [customers.billingAddressEnc, customers.shippingAddressEnc, customers.dateOfBirthEnc, customers.passportNumberEnc];
const legacy = [
  customers.legacyBillingStreet, customers.legacyBillingCity, customers.legacyBillingState, customers.legacyBillingZipCode,
  customers.legacyShippingStreet, customers.legacyShippingCity, customers.legacyShippingState, customers.legacyShippingZipCode,
  customers.legacyDateOfBirth, customers.legacyPassportNumber,
];

/** Rows that still hold plaintext in a pre-encryption column, or (unless `legacyOnly`) a value sealed under another key. */
function needsSealing(activeKeyId: string, legacyOnly: boolean): SQL {
  const conditions = legacy.map((c) => isNotNull(c));
  if (!legacyOnly) conditions.push(...sealed.map((c) => sql`split_part(${c}, '.', 2) <> ${activeKeyId}`));
  return or(...conditions)!;
}

/**
 * The next rows to (re)seal, locked until the transaction ends so a concurrent profile change waits for the rewrite
 * (and the rewrite for it). Id order, like every other multi-row lock here, so the two cannot deadlock.
 */
export function lockRowsToSeal(tx: Executor, activeKeyId: string, legacyOnly: boolean, limit: number): Promise<CustomerRow[]> {
  return tx
    .select()
    .from(customers)
    .where(needsSealing(activeKeyId, legacyOnly))
    .orderBy(customers.id)
    .limit(limit)
    .for('update');
}

export async function countRowsToSeal(db: Executor, activeKeyId: string, legacyOnly: boolean): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(customers).where(needsSealing(activeKeyId, legacyOnly));
  return Number(row!.n);
}

/** How many sealed values each data key holds, for `data-keys status` and before a key is retired. */
export async function countSealedValuesByKey(db: Executor): Promise<Map<string, number>> {
  const rows = resultRows<{ kid: string; n: number | string }>(await db.execute(sql`
    select kid, count(*)::int as n from (
      select split_part(billing_address_enc, '.', 2) as kid from customer.customers where billing_address_enc is not null
      union all select split_part(shipping_address_enc, '.', 2) from customer.customers where shipping_address_enc is not null
      union all select split_part(date_of_birth_enc, '.', 2) from customer.customers where date_of_birth_enc is not null
      union all select split_part(passport_number_enc, '.', 2) from customer.customers where passport_number_enc is not null
    ) sealed group by kid order by kid`));
  return new Map(rows.map((r) => [r.kid, Number(r.n)]));
}

/**
 * The next rows holding a sealed passport number after `afterId`, locked until the transaction ends (id order, as
 * every multi-row lock here), for rewriting their lookup hashes.
 */
export function lockPassportRows(tx: Executor, afterId: string | null, limit: number) {
  return tx
    .select({ id: customers.id, passportNumberEnc: customers.passportNumberEnc, passportNumberHash: customers.passportNumberHash })
    .from(customers)
    .where(and(isNotNull(customers.passportNumberEnc), afterId ? gt(customers.id, afterId) : undefined))
    .orderBy(customers.id)
    .limit(limit)
    .for('update');
}

export async function countPassportRows(db: Executor): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(customers).where(isNotNull(customers.passportNumberEnc));
  return Number(row!.n);
}

export async function writeSealedColumns(tx: Executor, id: string, values: Partial<NewCustomerRow>): Promise<void> {
  await tx.update(customers).set(values).where(eq(customers.id, id));
}
