import { customType } from 'drizzle-orm/pg-core';

/** `bytea` as a Node Buffer both ways (postgres.js hands back a Buffer, PGlite a Uint8Array). */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => Buffer.from(value),
});
