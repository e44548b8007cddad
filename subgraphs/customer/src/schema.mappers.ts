import type {
  ConsentRow,
  ContactExportRow,
  ContactImportRow,
  ContactRow,
  CustomerHistoryRow,
  CustomerRow,
  DeviceRow,
  PreferencesRow,
  PurchaseRow,
  TripRow,
} from './db/schema.ts';

export type CustomerMapper = CustomerRow;
export type CustomerHistoryEntryMapper = CustomerHistoryRow;
/** Null when the customer never set preferences: every field answers its default. */
export type CustomerPreferencesMapper = PreferencesRow | { customerId: string; empty: true };
export type ConsentMapper = ConsentRow;
export type CustomerDeviceMapper = DeviceRow;
export type ContactMapper = ContactRow;
export type ContactImportMapper = ContactImportRow;
export type ContactExportMapper = ContactExportRow;
export type PurchaseMapper = PurchaseRow;
export type TripMapper = TripRow;
export type DataSubjectExportMapper = import('./db/schema.ts').DataSubjectExportRow;

/** A GDPR erasure request; its sections come from the subgraphs' completion events. */
export type ErasureReportMapper = import('./db/schema.ts').ErasureRow;
/** A GDPR erasure preview's key: the customer. */
export type ErasurePreviewMapper = { customerId: string };

/** A customer audit trail's key: the customer (its records are read per subgraph). */
export type AuditTrailMapper = { customerId: string };
