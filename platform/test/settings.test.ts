import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SettingsError, parseSettings } from '../src/index.ts';

describe('settings', () => {
  it('runs embedded with no settings: PGlite, development key, explorer on', () => {
    const s = parseSettings({});
    expect(s.databaseUrls).toEqual({ customer: undefined, interaction: undefined, case: undefined, invitation: undefined, loyalty: undefined });
    expect(s.auth).toMatchObject({ mode: 'development', keyFile: expect.stringMatching(/\.data\/dev-signing-key\.json$/) });
    expect(s.gateway.port).toBe(4000);
    expect(s.subgraphUrls.case).toBe('http://localhost:4003/graphql');
    expect(s.explorerEnabled).toBe(true);
  });

  it('gives each subgraph DATABASE_URL unless it has its own', () => {
    const s = parseSettings({ DATABASE_URL: 'postgres://a@db/cmp', CASE_DATABASE_URL: 'postgresql://b@db2/cases' });
    expect(s.databaseUrls.customer).toBe('postgres://a@db/cmp');
    expect(s.databaseUrls.case).toBe('postgresql://b@db2/cases');
  });

  it('names every bad variable and the rule it breaks', () => {
    try {
      parseSettings({ DATABASE_URL: 'mysql://x', PORT: 'eighty', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      const { problems } = error as SettingsError;
      expect(problems.join('\n')).toMatch(/DATABASE_URL: must be a postgres/);
      expect(problems.join('\n')).toMatch(/PORT:/);
      expect(problems.join('\n')).toMatch(/LOG_LEVEL:/);
    }
  });

  it('refuses production without an identity provider or QR keys, and turns the explorer off there', () => {
    expect(() => parseSettings({ NODE_ENV: 'production' })).toThrow(/AUTH_JWKS_URL/);
    expect(() => parseSettings({ NODE_ENV: 'production' })).toThrow(/QR_KEYS_FILE/);
    const s = parseSettings({
      NODE_ENV: 'production',
      AUTH_JWKS_URL: 'https://idp.example.com/jwks',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'cmp',
      QR_KEYS_FILE: '/run/secrets/qr-keys.json',
      DATA_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      DATA_LOOKUP_KEY: Buffer.alloc(32, 2).toString('base64'),
    });
    expect(s.auth.mode).toBe('oidc');
    expect(s.invitation).toMatchObject({ qrKeysFile: '/run/secrets/qr-keys.json', createQrKeys: false });
    expect(parseSettings({ CMP_DATA_DIR: '/tmp/cmp' }).invitation).toMatchObject({
      qrKeysFile: '/tmp/cmp/qr-signing-keys.json',
      createQrKeys: true,
      lastKnownTierMaxAgeSeconds: 86_400,
    });
    expect(s.explorerEnabled).toBe(false);
    expect(s.introspectionEnabled).toBe(false);
  });

  it('reads per-priority escalation thresholds, keeping the defaults for the priorities not given, and names a bad one', () => {
    expect(parseSettings({ CASE_ESCALATION_HOURS: 'CRITICAL=2,LOW=72' }).cases.escalationHours).toEqual({ CRITICAL: 2, HIGH: 24, MEDIUM: 48, LOW: 72 });
    expect(() => parseSettings({ CASE_ESCALATION_HOURS: 'URGENT=1' })).toThrow(/CASE_ESCALATION_HOURS: must be like CRITICAL=4/);
  });

  it('keeps attachments on disk unless an S3 bucket is configured, and wants its credentials with it', () => {
    expect(parseSettings({ CMP_DATA_DIR: '/tmp/cmp' }).attachments).toMatchObject({ directory: '/tmp/cmp/attachments', s3: null, maxBytes: 10_485_760 });
    expect(() => parseSettings({ ATTACHMENTS_S3_BUCKET: 'cases' })).toThrow(/ATTACHMENTS_S3_ACCESS_KEY_ID and ATTACHMENTS_S3_SECRET_ACCESS_KEY are required/);
    const s3 = parseSettings({ ATTACHMENTS_S3_BUCKET: 'cases', ATTACHMENTS_S3_ACCESS_KEY_ID: 'k', ATTACHMENTS_S3_SECRET_ACCESS_KEY: 's', ATTACHMENTS_S3_ENDPOINT: 'http://minio:9000' });
    expect(s3.attachments.s3).toEqual({ endpoint: 'http://minio:9000', region: 'us-east-1', bucket: 'cases', accessKeyId: 'k', secretAccessKey: 's' });
  });

  it('configures the CRM webhook only with its signing secret', () => {
    expect(parseSettings({}).crmWebhook).toBeNull();
    expect(() => parseSettings({ CRM_WEBHOOK_URL: 'https://crm.example.com/hooks' })).toThrow(/CRM_WEBHOOK_SECRET: is required/);
    expect(parseSettings({ CRM_WEBHOOK_URL: 'https://crm.example.com/hooks', CRM_WEBHOOK_SECRET: 'a-long-enough-secret' }).crmWebhook).toEqual({
      url: 'https://crm.example.com/hooks',
      secret: 'a-long-enough-secret',
      eventTypes: ['cmp.invitation.InvitationIssued', 'cmp.invitation.InvitationResent'],
    });
  });

  it('stops the process at boot with a clear message and exit code 78 on a bad value', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: 'not a url' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/Invalid settings:\n {2}- DATABASE_URL: /);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
