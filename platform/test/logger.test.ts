import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from '../src/index.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream), lines };
}

describe('log redaction', () => {
  it('never writes tokens, personal fields, GraphQL variables or lounge QR payloads', () => {
    const { log, lines } = capture();
    log.info({
      authorization: 'Bearer eyJ...',
      token: 'eyJ...',
      passportNumber: 'PAA123456',
      input: { dateOfBirth: '1980-01-01', payload: 'LX1:ABC' },
      variables: { input: { payload: 'LX1:ABC' } },
      invitation: { qrCode: { payload: 'LX1:ABC' } },
      deviceId: 'door-1',
    }, 'scan');
    const line = JSON.stringify(lines[0]);
    expect(line).not.toMatch(/eyJ|PAA123456|1980-01-01|LX1:/);
    expect(lines[0]).toMatchObject({ deviceId: 'door-1', input: { payload: '[redacted]' } });
  });
});
