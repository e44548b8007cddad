import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port> */
  url: string;
  /** What the server accepted so far (only messages whose raw text contains `contains`, if given), parsed with mailparser. */
  messages(contains?: string): Promise<ReceivedMail[]>;
  /** Waits until `count` messages contain the text (e.g. a header line), and answers them parsed. */
  waitFor(contains: string, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Waits for the e-mail of one outbound message (its X-CMP-Message-Id header). */
  waitForMessage(messageId: string): Promise<ReceivedMail>;
  /** The next `count` messages are refused with `code` (count -1: every message until told otherwise). */
  refuse(count: number, code?: number): Promise<void>;
  close(): Promise<void>;
}

const TSX = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./smtp-sink.ts', import.meta.url));

/** Starts the SMTP server process (test/support/smtp-sink.ts) and talks to it. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const child = spawn(TSX, [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const ports = await new Promise<{ smtpPort: number; httpPort: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SMTP server exited with ${code} before listening`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as { smtpPort: number; httpPort: number }));
  });
  const control = `http://127.0.0.1:${ports.httpPort}`;
  const list = async (contains?: string) =>
    (await (await fetch(`${control}/messages${contains ? `?contains=${encodeURIComponent(contains)}` : ''}`)).json()) as { from: string; to: string[]; raw: string }[];
  const parse = (found: { from: string; to: string[]; raw: string }[]) => Promise.all(found.map(async (m) => ({ ...m, parsed: await simpleParser(m.raw) })));
  const messages = async (contains?: string): Promise<ReceivedMail[]> => parse(await list(contains));
  const waitFor = async (contains: string, count = 1, timeoutMs = 15_000): Promise<ReceivedMail[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await list(contains);
      if (found.length >= count) return parse(found);
      if (Date.now() > deadline) throw new Error(`expected ${count} matching e-mails, the SMTP server has ${found.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    url: `smtp://127.0.0.1:${ports.smtpPort}`,
    messages,
    waitFor,
    async waitForMessage(messageId) {
      const [mail] = await waitFor(messageId);
      return mail!;
    },
    async refuse(count, code = 451) {
      await fetch(`${control}/refuse?count=${count}&code=${code}`, { method: 'POST' });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `read` until `done` holds. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
