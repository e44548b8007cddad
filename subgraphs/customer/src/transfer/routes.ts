import { nudgeOutbox, requireUuid, type Database, type Logger, type SubgraphDefinition } from '@cmp/platform';
import { findExport, findImport, storeUpload } from '../db/transfer.repo.ts';
import { CONTENT_TYPES, EXTENSIONS, readSheet, UnreadableFileError } from './codecs.ts';
import { WORKER_EVENTS } from './jobs.ts';
import { importSummary, INLINE_IMPORT_ROWS, LEASE_MS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, runImport } from './imports.ts';
import { sha256, tokenMatches } from './links.ts';

type Router = Parameters<NonNullable<SubgraphDefinition<unknown>['routes']>>[0];
type Handler = Parameters<Router['put']>[1];
type Request = Parameters<Extract<Handler, (...args: never[]) => unknown>>[0];
type Response = Parameters<Extract<Handler, (...args: never[]) => unknown>>[1];

const fail = (res: Response, status: number, message: string) => res.status(status).json({ error: { message } });

function validId(raw: string): string | null {
  try {
    return requireUuid('id', raw);
  } catch {
    return null;
  }
}

/** Bodies past this are cut off rather than read to the end only to be thrown away. */
const DRAIN_LIMIT = 10 * MAX_IMPORT_BYTES;

/**
 * Reads the body, never holding more than `max` bytes. Past that the rest is read and dropped, so the client can
 * finish sending and read the 413 (breaking off would reset the connection under it), up to a bound.
 */
async function readBody(req: Request, max: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > DRAIN_LIMIT) break;
    if (size <= max) chunks.push(chunk);
  }
  return size > max ? 'too-large' : Buffer.concat(chunks);
}

function refuseTooLarge(res: Response, declared: boolean) {
  // A body declared too large is not read at all: the connection closes after the answer.
  if (declared) res.setHeader('connection', 'close');
  fail(res, 413, `a contacts file takes at most ${MAX_IMPORT_BYTES} bytes (10 MB)`);
}

/**
 * `PUT /v1/contact-imports/<id>/<token>`: the upload of an import's file; the single-use token is the
 * authorisation. `GET /v1/contact-exports/<id>/<token>`: an export's file while its link is valid.
 */
export function contactTransferRoutes(router: Router, { db, logger }: { db: Database; logger: Logger }): void {
  router.put('/v1/contact-imports/:id/:token', async (req, res) => {
    try {
      const id = validId(req.params.id!);
      const token = req.params.token!;
      const job = id ? await findImport(db, id) : null;
      if (!job) return fail(res, 404, 'no such import');
      if (job.status !== 'AWAITING_UPLOAD') return fail(res, 409, 'the file of this import was already uploaded');
      if (!tokenMatches(token, job.uploadTokenHash)) return fail(res, 403, 'the link is invalid');
      if (!job.uploadExpiresAt || job.uploadExpiresAt <= new Date()) return fail(res, 403, 'the link has expired: start a new import');
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== CONTENT_TYPES[job.format]) return fail(res, 415, `the import is of ${job.format}: send Content-Type ${CONTENT_TYPES[job.format]}`);
      if (Number(req.headers['content-length'] ?? 0) > MAX_IMPORT_BYTES) return refuseTooLarge(res, true);
      const body = await readBody(req, MAX_IMPORT_BYTES);
      if (body === 'too-large') return refuseTooLarge(res, false);

      let rows: number | null = null;
      try {
        rows = (await readSheet(job.format, body)).rows.length;
      } catch (error) {
        if (!(error instanceof UnreadableFileError)) throw error;
      }
      // Small files are worked now, and so are those refused as a whole (unreadable, too many rows) so the answer
      // gives the reason; the rest queue for the background worker.
      const inline = rows === null || rows <= INLINE_IMPORT_ROWS || rows > MAX_IMPORT_ROWS;
      const lease = new Date(Date.now() + LEASE_MS);
      const stored = await storeUpload(db, job.id, sha256(token), {
        file: body,
        fileBytes: body.length,
        totalRows: rows,
        status: inline ? 'RUNNING' : 'QUEUED',
        leaseUntil: inline ? lease : null,
        startedAt: inline ? new Date() : null,
      });
      if (!stored) return fail(res, 409, 'the file of this import was already uploaded');
      if (!inline) return res.status(202).json(importSummary(stored));
      try {
        await runImport(db, stored, lease, WORKER_EVENTS, logger);
      } catch (error) {
        // The lease runs out and a background worker takes the import over where it stopped.
        logger.error({ err: error, importId: job.id }, 'contact import stopped; the background worker resumes it');
        return res.status(202).json(importSummary((await findImport(db, job.id))!));
      }
      nudgeOutbox('customer');
      const done = (await findImport(db, job.id))!;
      res.status(done.status === 'FAILED' ? 422 : 200).json(importSummary(done));
    } catch (error) {
      logger.error({ err: error }, 'contact import upload failed');
      if (!res.headersSent) fail(res, 500, 'the upload failed; try again');
    }
  });

  router.get('/v1/contact-exports/:id/:token', async (req, res) => {
    try {
      const id = validId(req.params.id!);
      const row = id ? await findExport(db, id) : null;
      if (!row) return fail(res, 404, 'no such export');
      if (!tokenMatches(req.params.token!, row.downloadTokenHash)) return fail(res, 403, 'the link is invalid');
      if (!row.expiresAt || row.expiresAt <= new Date()) return fail(res, 410, 'the link has expired: export again');
      if (row.status !== 'COMPLETED' || !row.file) return fail(res, 409, 'the export is not complete');
      res.setHeader('content-type', row.format === 'CSV' ? `${CONTENT_TYPES.CSV}; charset=utf-8` : CONTENT_TYPES[row.format]);
      res.setHeader('content-length', String(row.file.length));
      res.setHeader('content-disposition', `attachment; filename="contacts-${row.id}.${EXTENSIONS[row.format]}"`);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', 'private, no-store');
      res.end(row.file);
    } catch (error) {
      logger.error({ err: error }, 'contact export download failed');
      if (!res.headersSent) fail(res, 500, 'the download failed; try again');
    }
  });
}
