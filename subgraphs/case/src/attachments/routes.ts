import type { Logger } from '@cmp/platform';
import type { Response, Router } from 'express';
import { contentDisposition, LocalBlobStore } from './store.ts';
import { attachmentRuntime } from './attachments.ts';

const fail = (res: Response, status: number, message: string) => res.status(status).json({ error: { message } });

/**
 * `PUT|GET /v1/attachments/<grant>`: the local store's transfers. The signed grant is the whole authorisation (it
 * was handed out to a caller allowed on the case, names one file and one operation, and expires), as with an S3
 * presigned link.
 */
export function attachmentRoutes(router: Router, { logger }: { logger: Logger }): void {
  router.put('/v1/attachments/:grant', async (req, res) => {
    const store = attachmentRuntime().store;
    if (!(store instanceof LocalBlobStore)) return fail(res, 404, 'attachments are stored in S3');
    const grant = store.verify(req.params.grant);
    if (!grant || grant.op !== 'put') return fail(res, 403, 'the link is invalid or has expired');
    if ((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== grant.contentType) {
      return fail(res, 415, `the link is for ${grant.contentType}`);
    }
    if (Number(req.headers['content-length'] ?? 0) > grant.maxBytes!) return fail(res, 413, `the link takes at most ${grant.maxBytes} bytes`);
    try {
      const written = await store.write(grant.key, req, grant.maxBytes!);
      if (written === 'too-large') return fail(res, 413, `the link takes at most ${grant.maxBytes} bytes`);
      res.status(200).end();
    } catch (error) {
      logger.error({ err: error }, 'attachment upload failed');
      fail(res, 500, 'the upload failed; try again');
    }
  });
  router.get('/v1/attachments/:grant', async (req, res) => {
    const store = attachmentRuntime().store;
    if (!(store instanceof LocalBlobStore)) return fail(res, 404, 'attachments are stored in S3');
    const grant = store.verify(req.params.grant);
    if (!grant || grant.op !== 'get') return fail(res, 403, 'the link is invalid or has expired');
    const size = await store.size(grant.key);
    if (size === null) return fail(res, 404, 'no such file');
    res.setHeader('content-length', String(size));
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-disposition', contentDisposition(grant.fileName ?? 'attachment'));
    res.setHeader('x-content-type-options', 'nosniff');
    store.read(grant.key).pipe(res);
  });
}
