import {
  BadUserInputError,
  ConflictError,
  NotFoundError,
  recordEvent,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
} from '@cmp/platform';
import { findPurchase, findPurchaseByOrderReference, findRefund, insertPurchaseOnce, insertRefund, updatePurchaseRefund } from '../db/commerce.repo.ts';
import { outbox, type PurchaseRow } from '../db/schema.ts';
import { requireLiveCustomer } from './guards.ts';
import { normaliseFlightNumber } from './trips.ts';
import { refreshCustomerValue } from './value.ts';

export type PurchaseChannel = PurchaseRow['channel'];
export type PurchaseItem = PurchaseRow['items'][number];

export interface RecordPurchaseInput {
  customerId: string;
  orderReference: string;
  channel: PurchaseChannel;
  currency: string;
  items: PurchaseItem[];
  reportingAmountMinor?: number | null;
  flightNumber?: string | null;
  purchasedAt: Date;
}

export interface RefundPurchaseInput {
  purchaseId: string;
  refundReference: string;
  amount: { amountMinor: number; currency: string };
  reason: string;
}

/** Amounts are GraphQL Ints: a purchase's total must fit one to be answered. */
export const MAX_AMOUNT_MINOR = 2_147_483_647;
const MAX_ITEMS = 200;

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function requireCurrency(field: string, value: string): string {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code) || !CURRENCIES.has(code)) throw new BadUserInputError(field, 'must be an ISO 4217 currency code such as EUR');
  return code;
}

/** The purchase's total in integer minor units: the sum of quantity × unit amount, exact. */
export function purchaseTotal(items: readonly PurchaseItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitAmountMinor, 0);
}

export function validatePurchase(input: RecordPurchaseInput) {
  const customerId = requireUuid('customerId', input.customerId);
  const orderReference = requireLength('orderReference', input.orderReference, { min: 1, max: 64 });
  const currency = requireCurrency('currency', input.currency);
  if (input.items.length === 0) throw new BadUserInputError('items', 'must contain at least one item');
  if (input.items.length > MAX_ITEMS) throw new BadUserInputError('items', `must contain at most ${MAX_ITEMS} items`);
  const items = input.items.map((item, i) => {
    const at = `items[${i}]`;
    if (!Number.isInteger(item.quantity) || item.quantity < 1) throw new BadUserInputError(`${at}.quantity`, 'must be a whole number of at least 1');
    if (!Number.isInteger(item.unitAmountMinor) || item.unitAmountMinor < 0) {
      throw new BadUserInputError(`${at}.unitAmountMinor`, 'must be a whole number of minor units, 0 or more');
    }
    return {
      sku: requireLength(`${at}.sku`, item.sku, { min: 1, max: 64 }),
      description: requireLength(`${at}.description`, item.description, { min: 1, max: 200 }),
      quantity: item.quantity,
      unitAmountMinor: item.unitAmountMinor,
    };
  });
  const amountMinor = purchaseTotal(items);
  if (amountMinor > MAX_AMOUNT_MINOR) throw new BadUserInputError('items', `add up to more than ${MAX_AMOUNT_MINOR} minor units`);
  let reportingAmountMinor: number;
  if (currency === 'EUR') {
    if (input.reportingAmountMinor != null && input.reportingAmountMinor !== amountMinor) {
      throw new BadUserInputError('reportingAmountMinor', `must equal the amount (${amountMinor}) for a purchase in EUR, or be left out`);
    }
    reportingAmountMinor = amountMinor;
  } else {
    if (input.reportingAmountMinor == null) throw new BadUserInputError('reportingAmountMinor', `is required for a purchase in ${currency}: its value in EUR minor units`);
    if (!Number.isInteger(input.reportingAmountMinor) || input.reportingAmountMinor < 0) {
      throw new BadUserInputError('reportingAmountMinor', 'must be a whole number of EUR minor units, 0 or more');
    }
    reportingAmountMinor = input.reportingAmountMinor;
  }
  if (Number.isNaN(input.purchasedAt.getTime())) throw new BadUserInputError('purchasedAt', 'must be a date and time');
  return {
    customerId,
    orderReference,
    channel: input.channel,
    currency,
    items,
    amountMinor,
    reportingAmountMinor,
    flightNumber: input.flightNumber ? normaliseFlightNumber('flightNumber', input.flightNumber) : null,
    purchasedAt: input.purchasedAt,
  };
}

type ValidPurchase = ReturnType<typeof validatePurchase>;

function sameContent(existing: PurchaseRow, p: ValidPurchase): boolean {
  return (
    existing.customerId === p.customerId &&
    existing.channel === p.channel &&
    existing.currency === p.currency &&
    existing.amountMinor === p.amountMinor &&
    existing.reportingAmountMinor === p.reportingAmountMinor &&
    existing.flightNumber === p.flightNumber &&
    existing.purchasedAt.getTime() === p.purchasedAt.getTime() &&
    JSON.stringify(existing.items.map(canonicalItem)) === JSON.stringify(p.items.map(canonicalItem))
  );
}

const canonicalItem = (i: PurchaseItem) => [i.sku, i.description, i.quantity, i.unitAmountMinor];

function replayOrConflict(existing: PurchaseRow, p: ValidPurchase): PurchaseRow {
  if (sameContent(existing, p)) return existing;
  throw new ConflictError(
    existing.customerId === p.customerId
      ? `orderReference: order ${p.orderReference} was already recorded with different content`
      : `orderReference: order ${p.orderReference} was already recorded for another customer`,
    { field: 'orderReference', orderReference: p.orderReference },
  );
}

/**
 * Records a purchase and adds it to the customer's lifetime value, all in one transaction with the customer's row
 * locked. The order reference makes it idempotent: the same order again answers the first record unchanged.
 */
export async function recordPurchase(db: Database, caller: Caller, events: EventContext, input: RecordPurchaseInput): Promise<PurchaseRow> {
  const p = validatePurchase(input);
  return db.transaction(async (tx) => {
    await requireLiveCustomer(tx, p.customerId, { forUpdate: true });
    const existing = await findPurchaseByOrderReference(tx, p.orderReference);
    if (existing) return replayOrConflict(existing, p);
    const purchase = await insertPurchaseOnce(tx, { ...p, status: 'PAID', recordedBy: caller.subject });
    // Another customer's transaction took the reference after our check: that order is theirs.
    if (!purchase) return replayOrConflict((await findPurchaseByOrderReference(tx, p.orderReference))!, p);
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.PurchaseRecorded',
      aggregateType: 'Customer',
      aggregateId: p.customerId,
      customerId: p.customerId,
      data: {
        purchaseId: purchase.id,
        customerId: p.customerId,
        orderReference: purchase.orderReference,
        channel: purchase.channel,
        amountMinor: purchase.amountMinor,
        currency: purchase.currency,
        reportingAmountMinor: purchase.reportingAmountMinor,
        flightNumber: purchase.flightNumber,
        purchasedAt: purchase.purchasedAt.toISOString(),
        recordedBy: caller.subject,
      },
    });
    await refreshCustomerValue(tx, p.customerId, caller.subject, events, `purchase ${purchase.orderReference}`);
    return purchase;
  });
}

/**
 * How much of the reporting amount has been refunded once `refundedMinor` of `amountMinor` has: proportional,
 * computed on the running total (not per refund) and rounded half up to the cent, so partial refunds never drift
 * and a full refund always removes exactly the whole reporting amount. Integer arithmetic throughout.
 */
export function reportingRefundedFor(reportingAmountMinor: number, amountMinor: number, refundedMinor: number): number {
  if (refundedMinor >= amountMinor) return reportingAmountMinor;
  if (amountMinor === 0) return 0;
  const numerator = 2n * BigInt(reportingAmountMinor) * BigInt(refundedMinor) + BigInt(amountMinor);
  return Number(numerator / (2n * BigInt(amountMinor)));
}

/**
 * Refunds part or all of a purchase in its currency. The customer's row lock serialises refunds of one purchase,
 * so concurrent refunds can never return more than was paid; each takes the lifetime value down by the reporting
 * share it removes.
 */
export async function refundPurchase(db: Database, caller: Caller, events: EventContext, input: RefundPurchaseInput): Promise<PurchaseRow> {
  const purchaseId = requireUuid('purchaseId', input.purchaseId);
  const reason = requireLength('reason', input.reason, { min: 3, max: 500 });
  const refund = input.amount.amountMinor;
  if (!Number.isInteger(refund) || refund <= 0) throw new BadUserInputError('amount', 'must be a positive whole number of minor units');
  const currency = requireCurrency('amount.currency', input.amount.currency);
  const refundReference = requireLength('refundReference', input.refundReference, { min: 1, max: 100 });

  return db.transaction(async (tx) => {
    const seen = await findPurchase(tx, purchaseId);
    if (!seen) throw new NotFoundError('Purchase', purchaseId);
    // Lock the owner first (the same order as purchases take), then read the purchase as it now stands.
    await requireLiveCustomer(tx, seen.customerId, { forUpdate: true });
    const purchase = (await findPurchase(tx, purchaseId, { forUpdate: true }))!;
    if (purchase.customerId !== seen.customerId) await requireLiveCustomer(tx, purchase.customerId, { forUpdate: true });
    if (currency !== purchase.currency) {
      throw new BadUserInputError('amount.currency', `must be the purchase's currency, ${purchase.currency}`);
    }
    const earlier = await findRefund(tx, purchase.id, refundReference);
    if (earlier) {
      if (earlier.amountMinor !== refund) {
        throw new ConflictError(`refundReference: refund ${refundReference} of this purchase was for ${earlier.amountMinor} minor units, not ${refund}`, {
          field: 'refundReference',
        });
      }
      return purchase;
    }
    const remaining = purchase.amountMinor - purchase.refundedMinor;
    if (refund > remaining) {
      throw new BadUserInputError('amount', `exceeds what remains to refund (${remaining} ${purchase.currency} minor units)`, { remainingMinor: remaining });
    }
    await insertRefund(tx, { purchaseId: purchase.id, refundReference, amountMinor: refund, reason, recordedBy: caller.subject });
    const refundedMinor = purchase.refundedMinor + refund;
    const reportingRefundedMinor = reportingRefundedFor(purchase.reportingAmountMinor, purchase.amountMinor, refundedMinor);
    const updated = await updatePurchaseRefund(tx, purchase.id, {
      refundedMinor,
      reportingRefundedMinor,
      status: refundedMinor === purchase.amountMinor ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
    });
    await recordEvent(tx, outbox, events, {
      type: 'cmp.customer.PurchaseRefunded',
      aggregateType: 'Customer',
      aggregateId: purchase.customerId,
      customerId: purchase.customerId,
      data: {
        purchaseId: purchase.id,
        customerId: purchase.customerId,
        orderReference: purchase.orderReference,
        refundMinor: refund,
        currency: purchase.currency,
        refundedMinor,
        reportingRefundMinor: reportingRefundedMinor - purchase.reportingRefundedMinor,
        reportingRefundedMinor,
        status: updated.status,
        reason,
        recordedBy: caller.subject,
      },
    });
    await refreshCustomerValue(tx, purchase.customerId, caller.subject, events, `refund of purchase ${purchase.orderReference}: ${reason}`);
    return updated;
  });
}
