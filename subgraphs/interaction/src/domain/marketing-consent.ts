import { BadUserInputError, CUSTOMER_MERGED, mergeOf, type EventConsumer, type Executor } from '@cmp/platform';
import { and, eq, sql } from 'drizzle-orm';
import type { MessageChannel, MessagePurpose } from '../db/delivery.schema.ts';
import { marketingConsents, type MarketingConsentRow } from '../db/privacy.schema.ts';

/** The consent-ledger purpose a marketing message on a channel needs. */
export const MARKETING_CONSENT: Record<MessageChannel, string> = { EMAIL: 'MARKETING_EMAIL', SMS: 'MARKETING_SMS' };

export const CONSENT_GRANTED = 'cmp.customer.ConsentGranted';
export const CONSENT_WITHDRAWN = 'cmp.customer.ConsentWithdrawn';

/** Records a ledger entry as of its time; an older entry arriving late never overwrites a newer one. */
async function rememberConsent(db: Executor, row: MarketingConsentRow): Promise<void> {
  await db
    .insert(marketingConsents)
    .values(row)
    .onConflictDoUpdate({
      target: [marketingConsents.customerId, marketingConsents.purpose],
      set: { granted: sql`excluded.granted`, asOf: sql`excluded.as_of`, consentId: sql`excluded.consent_id`, eventId: sql`excluded.event_id` },
      setWhere: sql`${marketingConsents.asOf} < excluded.as_of or (${marketingConsents.asOf} = excluded.as_of and ${marketingConsents.eventId} < excluded.event_id)`,
    });
}

/**
 * Keeps the consents in force from the customer subgraph's ledger events (idempotent: the same event again
 * changes nothing). On a merge the duplicate's consents join the target's, the later entry per purpose winning,
 * as the customer subgraph's ledger does when it moves the duplicate's entries.
 */
export const marketingConsentConsumer: EventConsumer = {
  name: 'interaction.marketing-consents',
  types: [CONSENT_GRANTED, CONSENT_WITHDRAWN, CUSTOMER_MERGED],
  async handle(db, event) {
    if (event.type === CUSTOMER_MERGED) {
      const merge = mergeOf(event);
      if (!merge) return;
      await db.transaction(async (tx) => {
        const moved = await tx.delete(marketingConsents).where(eq(marketingConsents.customerId, merge.sourceCustomerId)).returning();
        for (const row of moved) await rememberConsent(tx, { ...row, customerId: merge.targetCustomerId });
      });
      return;
    }
    const data = event.data as { customerId?: string; purpose?: string; consentId?: string };
    const customerId = data.customerId ?? event.customerid;
    if (typeof customerId !== 'string' || typeof data.purpose !== 'string') return;
    await rememberConsent(db, {
      customerId,
      purpose: data.purpose,
      granted: event.type === CONSENT_GRANTED,
      asOf: new Date(event.time),
      consentId: typeof data.consentId === 'string' ? data.consentId : null,
      eventId: event.id,
    });
  },
};

export async function consentInForce(db: Executor, customerId: string, purpose: string): Promise<MarketingConsentRow | null> {
  const [row] = await db
    .select()
    .from(marketingConsents)
    .where(and(eq(marketingConsents.customerId, customerId), eq(marketingConsents.purpose, purpose)));
  return row ?? null;
}

/** Why a marketing message may not go to the customer on the channel, or null when the ledger grants it. */
export async function missingMarketingConsent(db: Executor, customerId: string, channel: MessageChannel): Promise<string | null> {
  const purpose = MARKETING_CONSENT[channel];
  const consent = await consentInForce(db, customerId, purpose);
  if (consent?.granted) return null;
  return consent
    ? `the customer withdrew ${purpose} consent (${consent.asOf.toISOString()})`
    : `the customer has not granted ${purpose} consent (marketing is opt-in)`;
}

/**
 * A MARKETING message needs the customer's consent for its channel in force; SERVICE messages (flight changes,
 * case replies) need none. BAD_USER_INPUT naming `purpose` and the missing consent otherwise.
 */
export async function requireConsentForPurpose(db: Executor, customerId: string, channel: MessageChannel, purpose: MessagePurpose): Promise<void> {
  if (purpose !== 'MARKETING') return;
  const missing = await missingMarketingConsent(db, customerId, channel);
  if (missing) {
    throw new BadUserInputError('purpose', `a MARKETING ${channel === 'EMAIL' ? 'e-mail' : 'SMS'} needs ${MARKETING_CONSENT[channel]} consent: ${missing}`, {
      consent: MARKETING_CONSENT[channel],
    });
  }
}
