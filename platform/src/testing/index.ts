export * from './callers.ts';
export * from './database.ts';
