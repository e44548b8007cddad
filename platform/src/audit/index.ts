export * from './table.ts';
export * from './recorder.ts';
export * from './plugin.ts';
export * from './query.ts';
