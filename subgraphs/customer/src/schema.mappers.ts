import type { CustomerRow } from './db/schema.ts';

export type CustomerMapper = CustomerRow;
