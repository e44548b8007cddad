export * from './field-cipher.ts';
export * from './key-ring.ts';
