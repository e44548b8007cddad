import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createLogger, createTokenVerifier, parseSettings, signDevToken, startSubgraph, type RunningSubgraph, type Role } from '@cmp/platform';
import { createTestDatabase, type TestDatabase } from '@cmp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureAttachments } from '../src/attachments/attachments.ts';
import { LocalBlobStore, S3BlobStore } from '../src/attachments/store.ts';
import { caseSubgraph } from '../src/index.ts';
import { startS3StandIn } from './s3-stand-in.ts';

let database: TestDatabase;
let server: RunningSubgraph;
let store: LocalBlobStore;
let token: (roles: Role[], extra?: { customerId?: string }) => Promise<string>;

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cmp-attachments-'));
  const settings = parseSettings({ CMP_DATA_DIR: dataDir });
  database = await createTestDatabase([caseSubgraph]);
  store = await LocalBlobStore.open(path.join(dataDir, 'attachments'), null);
  configureAttachments({ store, maxBytes: 1024 * 1024 });
  server = await startSubgraph({
    definition: caseSubgraph,
    database: database.handles.case!,
    verifier: await createTokenVerifier(settings),
    logger: createLogger({ name: 'test', level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
  });
  token = (roles, extra = {}) => signDevToken(settings, { roles, ...extra, expiresIn: '1h' });
});
afterAll(async () => {
  await server?.close();
  await database?.close();
});

async function gql(roles: Role[], query: string, variables: Record<string, unknown> = {}, extra: { customerId?: string } = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(roles, extra)}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions: Record<string, unknown> }[] };
}

const REQUEST = /* GraphQL */ `
  mutation($input: CaseAttachmentUploadInput!) {
    requestCaseAttachmentUpload(input: $input) { uploadUrl expiresAt headers attachment { id status fileName sizeBytes downloadUrl } }
  }
`;
const COMPLETE = 'mutation($id: ID!) { completeCaseAttachment(attachmentId: $id) { id status } }';

async function openCase(customerId = randomUUID()) {
  const opened = await gql(['SupportAgent'], 'mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }', {
    input: { customerId, subject: 'Damaged suitcase', description: 'The shell of the suitcase arrived cracked.', category: 'BAGGAGE' },
  });
  return opened.data.openCase.id as string;
}

describe('case attachments in the local store, over HTTP', () => {
  it('uploads through the signed link, confirms, and downloads the same bytes under the file name', async () => {
    const customerId = randomUUID();
    const caseId = await openCase(customerId);
    const bytes = Buffer.from('%PDF-1.4 receipt for the suitcase repair: EUR 180');
    const requested = await gql(['Customer'], REQUEST, { input: { caseId, fileName: 'Factura reparación.pdf', contentType: 'application/pdf', sizeBytes: bytes.length } }, { customerId });
    expect(requested.errors).toBeUndefined();
    const upload = requested.data.requestCaseAttachmentUpload;
    expect(upload.attachment).toMatchObject({ status: 'PENDING', downloadUrl: null, sizeBytes: bytes.length });
    expect(upload.headers).toEqual(['content-type: application/pdf']);
    expect(upload.uploadUrl.startsWith(new URL(server.url).origin)).toBe(true);

    expect((await gql(['SupportAgent'], COMPLETE, { id: upload.attachment.id })).errors?.[0]?.extensions?.code).toBe('COMP-006');
    expect((await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes })).status).toBe(415);
    expect((await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: Buffer.concat([bytes, bytes]) })).status).toBe(413);
    const tampered = upload.uploadUrl.replace(/\.[^.]+$/, '.AAAA');
    expect((await fetch(tampered, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: bytes })).status).toBe(403);
    expect((await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: bytes })).status).toBe(200);

    const completed = await gql(['SupportAgent'], COMPLETE, { id: upload.attachment.id });
    expect(completed.data.completeCaseAttachment.status).toBe('AVAILABLE');
    const read = await gql(['SupportAgent'], 'query($id: ID!) { case(id: $id) { attachments { fileName status downloadUrl downloadUrlExpiresAt } } }', { id: caseId });
    const [file] = read.data.case.attachments;
    expect(file).toMatchObject({ fileName: 'Factura reparación.pdf', status: 'AVAILABLE' });
    const download = await fetch(file.downloadUrl);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
    expect(download.headers.get('content-disposition')).toContain("filename*=UTF-8''Factura%20reparaci%C3%B3n.pdf");
    expect((await fetch(file.downloadUrl, { method: 'PUT', body: 'x' })).status).toBe(403);
  });

  it('refuses an expired link, a type or size outside the limits, a 21st file, and another customer', async () => {
    const customerId = randomUUID();
    const caseId = await openCase(customerId);
    const expired = await store.uploadUrl(`${caseId}/${randomUUID()}`, 'text/plain', 10, new Date(Date.now() - 1000), new URL(server.url).origin);
    expect((await fetch(expired, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello' })).status).toBe(403);

    const input = { caseId, fileName: 'note.txt', contentType: 'text/plain', sizeBytes: 5 };
    expect((await gql(['SupportAgent'], REQUEST, { input: { ...input, contentType: 'application/x-msdownload' } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'contentType' });
    expect((await gql(['SupportAgent'], REQUEST, { input: { ...input, sizeBytes: 2 * 1024 * 1024 } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sizeBytes' });
    expect((await gql(['SupportAgent'], REQUEST, { input: { ...input, fileName: '../../etc/passwd' } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'fileName' });
    expect((await gql(['Customer'], REQUEST, { input }, { customerId: randomUUID() })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const results = await Promise.all(Array.from({ length: 21 }, () => gql(['SupportAgent'], REQUEST, { input })));
    expect(results.filter((r) => !r.errors)).toHaveLength(20);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'COMP-005')).toHaveLength(1);
  });
});

describe('case attachments in an S3-compatible bucket', () => {
  it('presigns the upload and the download, and confirms the upload by its size', async () => {
    const s3 = await startS3StandIn();
    try {
      const bucket = new S3BlobStore({ endpoint: s3.url, region: 'eu-south-2', bucket: 'cmp-cases', accessKeyId: 'test', secretAccessKey: 'test-secret' });
      const key = `${randomUUID()}/${randomUUID()}`;
      const bytes = Buffer.from('\x89PNG boarding pass photo');
      expect(await bucket.size(key)).toBeNull();
      const put = await bucket.uploadUrl(key, 'image/png', bytes.length, new Date(Date.now() + 15 * 60_000));
      expect(new URL(put).searchParams.get('X-Amz-Expires')).toBe('900');
      expect(new URL(put).searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
      expect((await fetch(put, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes })).status).toBe(200);
      expect(await bucket.size(key)).toBe(bytes.length);
      const get = await bucket.downloadUrl(key, 'tarjeta de embarque.png', new Date(Date.now() + 5 * 60_000));
      const download = await fetch(get);
      expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
      expect(download.headers.get('content-disposition')).toContain('tarjeta');
      const short = await bucket.uploadUrl(`${key}-2`, 'image/png', 3, new Date(Date.now() + 1000));
      await new Promise((r) => setTimeout(r, 2_100));
      expect((await fetch(short, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: 'abc' })).status).toBe(403);

      // Behind a private network address, the links name the public one while the service talks to the private.
      const split = new S3BlobStore({ endpoint: s3.url, publicEndpoint: 'https://files.example.com', region: 'eu-south-2', bucket: 'cmp-cases', accessKeyId: 'test', secretAccessKey: 'test-secret' });
      expect(new URL(await split.downloadUrl(key, 'x.png', new Date(Date.now() + 60_000))).origin).toBe('https://files.example.com');
      expect(await split.size(key)).toBe(bytes.length);
    } finally {
      await s3.close();
    }
  });
});
