/**
 * A real SMTP server on loopback for the specs, run as its own process (`tsx test/support/smtp-sink.ts`): it
 * accepts every message with smtp-server and keeps it, and a small HTTP endpoint on loopback lets a spec read
 * what arrived or make the server refuse messages with a temporary (451) or permanent (550) error.
 *
 *   GET  /messages?contains=text   -> [{ from, to: [...], raw }] in arrival order (those whose raw message contains the text)
 *   POST /refuse?count=N&code=451  -> the next N messages are refused at DATA with that code (count=-1: all)
 *
 * Prints one line of JSON `{ "smtpPort": n, "httpPort": n }` once both listen.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const received: { from: string; to: string[]; raw: string }[] = [];
let refuse = { count: 0, code: 451 };

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 30 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (refuse.count !== 0) {
        if (refuse.count > 0) refuse.count--;
        const error = new Error(refuse.code >= 500 ? 'mailbox unavailable' : 'try again later') as Error & { responseCode: number };
        error.responseCode = refuse.code;
        callback(error);
        return;
      }
      received.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});

const control = http.createServer((req, res) => {
  // No keep-alive: a spec polling after a long pause must never reuse a connection the server is closing.
  res.setHeader('connection', 'close');
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/messages') {
    const contains = url.searchParams.get('contains');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(contains ? received.filter((m) => m.raw.includes(contains)) : received));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/refuse') {
    refuse = { count: Number(url.searchParams.get('count') ?? '1'), code: Number(url.searchParams.get('code') ?? '451') };
    res.writeHead(204).end();
    return;
  }
  res.writeHead(404).end();
});

await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
process.stdout.write(
  `${JSON.stringify({ smtpPort: (smtp.server.address() as AddressInfo).port, httpPort: (control.address() as AddressInfo).port })}\n`,
);
process.on('SIGTERM', () => {
  control.close();
  smtp.close(() => process.exit(0));
});
