import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An S3-compatible endpoint on loopback for the attachment specs: path-style buckets, PUT, GET and HEAD of
 * objects, and presigned links refused once X-Amz-Date + X-Amz-Expires has passed. Signatures are not checked:
 * the store under test only produces them.
 */
export async function startS3StandIn() {
  const objects = new Map<string, { body: Buffer; contentType: string }>();
  const requests: { method: string; path: string; query: URLSearchParams }[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams });
    const amzDate = url.searchParams.get('X-Amz-Date');
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    if (amzDate) {
      const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
      if (Date.now() > signedAt + expires * 1000) {
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
        return;
      }
    }
    const key = decodeURIComponent(url.pathname);
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      objects.set(key, { body: Buffer.concat(chunks), contentType: req.headers['content-type'] ?? 'application/octet-stream' });
      res.writeHead(200, { etag: '"stand-in"' }).end();
      return;
    }
    const object = objects.get(key);
    if (!object) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end(req.method === 'HEAD' ? undefined : '<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    const disposition = url.searchParams.get('response-content-disposition');
    res.writeHead(200, {
      'content-length': String(object.body.length),
      'content-type': object.contentType,
      ...(disposition ? { 'content-disposition': disposition } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : object.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
