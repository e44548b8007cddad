export * from './callers.ts';
export * from './database.ts';
export * from './harness.ts';
export * from './nats.ts';
export * from './queries.ts';
