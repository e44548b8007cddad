import type { InvitationRow, LoungeDeviceRow, LoungeRow, ScanRow } from './db/schema.ts';
import type { Occupancy } from './domain/lounge-activity.ts';
import type { QrValidation } from './domain/scans.ts';

export type InvitationMapper = InvitationRow;
export type LoungeMapper = LoungeRow;
export type LoungeDeviceMapper = LoungeDeviceRow;
export type LoungeOccupancyMapper = Occupancy;
export type QrScanMapper = ScanRow;
export type QrValidationMapper = QrValidation;
/** The images are drawn only when selected. */
export type QrCodeMapper = { payload: string };
export type CustomerMapper = { id: string };

/** A GDPR erasure preview's key: the customer. */
export type ErasurePreviewMapper = { customerId: string };

/** A customer audit trail's key: the customer (its records are read per subgraph). */
export type AuditTrailMapper = { customerId: string };
