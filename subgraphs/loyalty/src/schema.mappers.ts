import type { AccountRow, LedgerEntryRow, TierChangeRow } from './db/schema.ts';
import type { EligibilityAnswer } from './domain/lounge-access.ts';
import type { Posting } from './domain/ledger.ts';
import type { AccountView } from './domain/sync.ts';

export type LoyaltyAccountMapper = AccountRow;
export type TierChangeMapper = TierChangeRow;
export type LedgerEntryMapper = LedgerEntryRow;
export type LedgerPostingMapper = Posting;
export type LoungeEligibilityMapper = EligibilityAnswer;
export type LoyaltyAccountRefreshMapper = AccountView;
export type CustomerMapper = { id: string };

/** A GDPR erasure preview's key: the customer. */
export type ErasurePreviewMapper = { customerId: string };

/** A customer audit trail's key: the customer (its records are read per subgraph). */
export type AuditTrailMapper = { customerId: string };
