import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createFileOnce } from '@cmp/platform';

/** Where attachment bytes live. Clients move the bytes themselves, over short-lived signed links. */
export interface BlobStore {
  kind: 'local' | 's3';
  /** A link the client PUTs the file to, with this content type and at most `sizeBytes`. */
  uploadUrl(key: string, contentType: string, sizeBytes: number, expiresAt: Date, origin: string): Promise<string>;
  /** A link that downloads the file under `fileName`. */
  downloadUrl(key: string, fileName: string, expiresAt: Date, origin: string): Promise<string>;
  /** The stored size, or null when nothing was uploaded. */
  size(key: string): Promise<number | null>;
  /** Deletes the file (GDPR erasure); nothing stored is not an error. */
  remove(key: string): Promise<void>;
}

export interface LocalGrant {
  key: string;
  op: 'put' | 'get';
  exp: number;
  contentType?: string;
  maxBytes?: number;
  fileName?: string;
}

/**
 * Files in a directory (embedded mode), moved through the case subgraph's own `/v1/attachments/<grant>` route:
 * the grant is the operation, the key and the expiry, signed with HMAC-SHA256, so a link cannot be altered,
 * reused for another file or used after it expires.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;

  constructor(
    readonly directory: string,
    private readonly secret: Buffer,
    private readonly publicUrl: string | null,
  ) {}

  static async open(directory: string, publicUrl: string | null): Promise<LocalBlobStore> {
    const keyFile = path.join(directory, '.signing-key');
    await createFileOnce(keyFile, randomBytes(32).toString('hex'));
    return new LocalBlobStore(directory, Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'hex'), publicUrl);
  }

  private sign(grant: LocalGrant): string {
    const body = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return `${body}.${createHmac('sha256', this.secret).update(body).digest('base64url')}`;
  }

  /** The grant a link carries, or null when it was altered or has expired. */
  verify(token: string, now = Date.now()): LocalGrant | null {
    const [body, mac] = token.split('.');
    if (!body || !mac) return null;
    const expected = createHmac('sha256', this.secret).update(body).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const grant = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LocalGrant;
    return grant.exp > now ? grant : null;
  }

  private link(grant: LocalGrant, origin: string): string {
    return `${this.publicUrl ?? origin}/v1/attachments/${this.sign(grant)}`;
  }

  async uploadUrl(key: string, contentType: string, sizeBytes: number, expiresAt: Date, origin: string) {
    return this.link({ key, op: 'put', exp: expiresAt.getTime(), contentType, maxBytes: sizeBytes }, origin);
  }

  async downloadUrl(key: string, fileName: string, expiresAt: Date, origin: string) {
    return this.link({ key, op: 'get', exp: expiresAt.getTime(), fileName }, origin);
  }

  file(key: string): string {
    if (!/^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(key)) throw new Error(`not an attachment key: ${key}`);
    return path.join(this.directory, key);
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.file(key))).size;
    } catch {
      return null;
    }
  }

  /** Writes an upload, never more than `maxBytes`; the file appears whole or not at all. */
  async write(key: string, body: NodeJS.ReadableStream, maxBytes: number): Promise<'ok' | 'too-large'> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(4).toString('hex')}.part`;
    let written = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer | string>) {
          for await (const chunk of source) {
            written += Buffer.byteLength(chunk);
            if (written > maxBytes) throw new RangeError('too large');
            yield chunk;
          }
        },
        createWriteStream(temp, { mode: 0o600 }),
      );
      await rename(temp, target);
      return 'ok';
    } catch (error) {
      await unlink(temp).catch(() => {});
      if (error instanceof RangeError) return 'too-large';
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await unlink(this.file(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  read(key: string) {
    return createReadStream(this.file(key));
  }
}

export interface S3Settings {
  endpoint?: string;
  /** Where clients reach the bucket when it differs from where this service does (presigned links name it). */
  publicEndpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** An S3-compatible bucket (server mode): presigned PUT and GET links, HEAD to confirm an upload. */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  /** Signs the links clients use; the same client unless the bucket has a separate public address. */
  private readonly signer: S3Client;

  constructor(private readonly settings: S3Settings) {
    const client = (endpoint: string | undefined) =>
      new S3Client({
        region: settings.region,
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      });
    this.client = client(settings.endpoint);
    this.signer = settings.publicEndpoint ? client(settings.publicEndpoint) : this.client;
  }

  private static seconds(expiresAt: Date): number {
    return Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 1000));
  }

  uploadUrl(key: string, contentType: string, sizeBytes: number, expiresAt: Date) {
    return getSignedUrl(
      this.signer,
      new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, ContentType: contentType, ContentLength: sizeBytes }),
      { expiresIn: S3BlobStore.seconds(expiresAt), signableHeaders: new Set(['content-type', 'content-length']) },
    );
  }

  downloadUrl(key: string, fileName: string, expiresAt: Date) {
    return getSignedUrl(
      this.signer,
      new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, ResponseContentDisposition: contentDisposition(fileName) }),
      { expiresIn: S3BlobStore.seconds(expiresAt) },
    );
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return head.ContentLength ?? null;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw error;
    }
  }

  /** S3 answers a delete of a missing key with success, so a repeated erasure is fine. */
  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }
}

/** `attachment; filename=...` safe for any name (RFC 6266 with the UTF-8 form). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
