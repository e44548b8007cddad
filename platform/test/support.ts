export * from '../src/index.ts';
export { callerWith } from '../src/testing/callers.ts';
