import path from 'node:path';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { decodeKey, parseKeyList, type DataKeySource } from './crypto/key-ring.ts';

/** Raised when the environment does not describe a runnable configuration. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .url()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');

export const SUBGRAPH_NAMES = ['customer', 'interaction', 'case', 'invitation', 'loyalty'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const DEFAULT_SUBGRAPH_PORTS: Record<SubgraphName, number> = {
  customer: 4001,
  interaction: 4002,
  case: 4003,
  invitation: 4004,
  loyalty: 4005,
};

const port = z.coerce.number().int().min(0).max(65535);

/** Whose `x-forwarded-for` subgraphs believe unless TRUSTED_PROXIES says otherwise: where the gateway runs in compose. */
export const DEFAULT_TRUSTED_PROXIES = ['loopback', 'uniquelocal'];

const settingsSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CMP_DATA_DIR: z.string().min(1).default('.data'),
    DATABASE_URL: postgresUrl.optional(),
    CUSTOMER_DATABASE_URL: postgresUrl.optional(),
    INTERACTION_DATABASE_URL: postgresUrl.optional(),
    CASE_DATABASE_URL: postgresUrl.optional(),
    INVITATION_DATABASE_URL: postgresUrl.optional(),
    LOYALTY_DATABASE_URL: postgresUrl.optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    NATS_URL: z.string().url().optional(),
    EVENTS_NAMESPACE: z.string().regex(/^[a-z][a-z0-9]{0,30}$/, 'must be lower-case letters and digits, starting with a letter').default('cmp'),
    PORT: port.default(4000),
    HOST: z.string().default('0.0.0.0'),
    CUSTOMER_PORT: port.default(DEFAULT_SUBGRAPH_PORTS.customer),
    INTERACTION_PORT: port.default(DEFAULT_SUBGRAPH_PORTS.interaction),
    CASE_PORT: port.default(DEFAULT_SUBGRAPH_PORTS.case),
    INVITATION_PORT: port.default(DEFAULT_SUBGRAPH_PORTS.invitation),
    LOYALTY_PORT: port.default(DEFAULT_SUBGRAPH_PORTS.loyalty),
    CUSTOMER_URL: z.string().url().optional(),
    INTERACTION_URL: z.string().url().optional(),
    CASE_URL: z.string().url().optional(),
    INVITATION_URL: z.string().url().optional(),
    LOYALTY_URL: z.string().url().optional(),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(5_000),
    AUTH_ISSUER: z.string().min(1).optional(),
    AUTH_AUDIENCE: z.string().min(1).optional(),
    AUTH_JWKS_URL: z.string().url().optional(),
    EXPLORER_ENABLED: booleanFlag.optional(),
    INTROSPECTION_ENABLED: booleanFlag.optional(),
    TRUSTED_PROXIES: z
      .string()
      .default(DEFAULT_TRUSTED_PROXIES.join(','))
      .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
      .superRefine((entries, ctx) => {
        for (const entry of entries) {
          try {
            proxyAddr.compile(entry);
          } catch {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${entry} is not an address, a CIDR range or one of loopback, linklocal, uniquelocal` });
          }
        }
      }),
    // The largest legitimate request is an e-mail with its 10 MB of attachments in base64 (~13.4 MB of JSON).
    MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).default(16_777_216),
    // Operation limits at the gateway (0 turns one off); the defaults pass every operation the project sends.
    MAX_QUERY_DEPTH: z.coerce.number().int().min(0).max(1000).default(12),
    MAX_QUERY_COST: z.coerce.number().int().min(0).default(20_000),
    MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
    MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(50),
    MAX_QUERY_TOKENS: z.coerce.number().int().min(0).default(5_000),
    // Requests (and subscription starts) per caller per window at each gateway replica; 0: not limited.
    RATE_LIMIT_REQUESTS: z.coerce.number().int().min(0).optional(),
    RATE_LIMIT_SUBSCRIPTIONS: z.coerce.number().int().min(0).optional(),
    RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(3_600).default(60),
    AUTH_JWKS_CACHE_MAX_AGE_MS: z.coerce.number().int().min(100).max(86_400_000).default(600_000),
    AUTH_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
    LOYALTY_EXTERNAL_URL: z.string().url().optional(),
    LOYALTY_EXTERNAL_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(2_000),
    LOYALTY_EXTERNAL_MAX_AGE_S: z.coerce.number().int().min(0).default(900),
    QR_KEYS_FILE: z.string().min(1).optional(),
    INVITATION_ELIGIBILITY_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_500),
    INVITATION_LAST_KNOWN_TIER_MAX_AGE_S: z.coerce.number().int().min(0).default(86_400),
    INVITATION_EXPIRY_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
    LOUNGE_DWELL_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(180),
    CASE_ESCALATION_HOURS: z
      .string()
      .regex(/^(CRITICAL|HIGH|MEDIUM|LOW)=\d+(\.\d+)?(,(CRITICAL|HIGH|MEDIUM|LOW)=\d+(\.\d+)?)*$/, 'must be like CRITICAL=4,HIGH=24,MEDIUM=48,LOW=168')
      .optional(),
    CASE_ESCALATION_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
    ATTACHMENTS_PUBLIC_URL: z.string().url().optional(),
    ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
    ATTACHMENTS_S3_ENDPOINT: z.string().url().optional(),
    ATTACHMENTS_S3_PUBLIC_ENDPOINT: z.string().url().optional(),
    ATTACHMENTS_S3_REGION: z.string().min(1).default('us-east-1'),
    ATTACHMENTS_S3_BUCKET: z.string().min(3).optional(),
    ATTACHMENTS_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    ATTACHMENTS_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    HISTORY_FEED_DIR: z.string().min(1).optional(),
    CRM_WEBHOOK_URL: z.string().url().optional(),
    CRM_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    CRM_WEBHOOK_EVENTS: z
      .string()
      .regex(/^cmp\.[a-z]+\.[A-Za-z]+(,cmp\.[a-z]+\.[A-Za-z]+)*$/, 'must be a comma-separated list of event types such as cmp.invitation.InvitationIssued')
      .default('cmp.invitation.InvitationIssued,cmp.invitation.InvitationResent'),
    COMPENSATION_SDR_EUR_RATE: z.coerce.number().positive().max(10).default(1.17),
    TEXT_ANALYSIS_URL: z.string().url().optional(),
    TEXT_ANALYSIS_TOKEN: z.string().min(1).optional(),
    TEXT_ANALYSIS_TIMEOUT_MS: z.coerce.number().int().min(10).max(30_000).default(1_500),
    SMTP_URL: z
      .string()
      .url()
      .refine((v) => /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL')
      .optional(),
    SMTP_FROM: z.string().email('must be an e-mail address').max(255).default('no-reply@cmp.localhost'),
    SMS_PROVIDER_URL: z.string().url().optional(),
    SMS_PROVIDER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    SMS_FROM: z
      .string()
      .regex(/^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$/, 'must be an E.164 number or an alphanumeric sender of at most 11 characters')
      .default('CMP'),
    DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
    DELIVERY_BACKOFF_MS: z.coerce.number().int().min(1).max(3_600_000).default(1_000),
    DELIVERY_MAX_BACKOFF_MS: z.coerce.number().int().min(1).max(86_400_000).default(300_000),
    DELIVERY_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
    DELIVERY_LEASE_S: z.coerce.number().int().min(1).max(86_400).default(120),
    DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(300_000).default(15_000),
    DELIVERY_BREAK_AFTER: z.coerce.number().int().min(1).max(1000).default(5),
    DELIVERY_BREAKER_OPEN_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
    // Sensitive fields at rest: `kid:<base64 of 32 bytes>,...`, the kid that encrypts new writes, the lookup-hash key.
    DATA_ENCRYPTION_KEYS: z.string().min(1).optional(),
    DATA_ENCRYPTION_ACTIVE_KEY: z.string().min(1).optional(),
    DATA_LOOKUP_KEY: z.string().min(1).optional(),
    DATA_LOOKUP_KEY_PREVIOUS: z.string().min(1).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.AUTH_JWKS_URL && (!s.AUTH_ISSUER || !s.AUTH_AUDIENCE)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['AUTH_ISSUER'],
        message: 'AUTH_ISSUER and AUTH_AUDIENCE are required when AUTH_JWKS_URL is set',
      });
    }
    if (s.NODE_ENV === 'production' && !s.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['AUTH_JWKS_URL'],
        message: 'production needs an identity provider: set AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE',
      });
    }
    if (s.ATTACHMENTS_S3_BUCKET && (!s.ATTACHMENTS_S3_ACCESS_KEY_ID || !s.ATTACHMENTS_S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['ATTACHMENTS_S3_ACCESS_KEY_ID'],
        message: 'ATTACHMENTS_S3_ACCESS_KEY_ID and ATTACHMENTS_S3_SECRET_ACCESS_KEY are required with ATTACHMENTS_S3_BUCKET',
      });
    }
    if (s.CRM_WEBHOOK_URL && !s.CRM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['CRM_WEBHOOK_SECRET'], message: 'is required with CRM_WEBHOOK_URL (deliveries are signed with it)' });
    }
    if (s.SMS_PROVIDER_URL && !s.SMS_PROVIDER_TOKEN) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['SMS_PROVIDER_TOKEN'], message: 'is required with SMS_PROVIDER_URL (requests and callbacks carry it)' });
    }
    checkDataKeys(s, ctx);
    if (s.NODE_ENV === 'production' && !s.QR_KEYS_FILE) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['QR_KEYS_FILE'],
        message: 'production needs the lounge QR signing keys: set QR_KEYS_FILE (create one with `pnpm qr-keys rotate`)',
      });
    }
  });

type RawSettings = z.infer<typeof settingsSchema>;

type DataKeyVariables = {
  NODE_ENV: string;
  DATA_ENCRYPTION_KEYS?: string;
  DATA_ENCRYPTION_ACTIVE_KEY?: string;
  DATA_LOOKUP_KEY?: string;
  DATA_LOOKUP_KEY_PREVIOUS?: string;
};

/** DATA_LOOKUP_KEY_PREVIOUS: lookup keys still matched while hashes are rewritten, comma-separated base64. */
const previousLookupKeys = (value: string | undefined) => (value ? value.split(',').map((key) => decodeKey(key.trim())) : []);

function checkDataKeys(s: DataKeyVariables, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  if (!s.DATA_ENCRYPTION_KEYS) {
    if (s.NODE_ENV === 'production') {
      issue('DATA_ENCRYPTION_KEYS', 'production needs the keys that encrypt sensitive fields: set DATA_ENCRYPTION_KEYS, DATA_ENCRYPTION_ACTIVE_KEY and DATA_LOOKUP_KEY');
    }
    if (s.DATA_ENCRYPTION_ACTIVE_KEY) issue('DATA_ENCRYPTION_ACTIVE_KEY', 'needs DATA_ENCRYPTION_KEYS');
    if (s.DATA_LOOKUP_KEY) issue('DATA_LOOKUP_KEY', 'needs DATA_ENCRYPTION_KEYS');
    if (s.DATA_LOOKUP_KEY_PREVIOUS) issue('DATA_LOOKUP_KEY_PREVIOUS', 'needs DATA_ENCRYPTION_KEYS');
    return;
  }
  const { keys, problems } = parseKeyList(s.DATA_ENCRYPTION_KEYS);
  for (const problem of problems) issue('DATA_ENCRYPTION_KEYS', problem);
  if (keys.length > 1 && !s.DATA_ENCRYPTION_ACTIVE_KEY) {
    issue('DATA_ENCRYPTION_ACTIVE_KEY', 'is required when DATA_ENCRYPTION_KEYS holds more than one key (which one encrypts new writes?)');
  }
  if (s.DATA_ENCRYPTION_ACTIVE_KEY && problems.length === 0 && !keys.some((k) => k.kid === s.DATA_ENCRYPTION_ACTIVE_KEY)) {
    issue('DATA_ENCRYPTION_ACTIVE_KEY', `names ${s.DATA_ENCRYPTION_ACTIVE_KEY}, which is not in DATA_ENCRYPTION_KEYS (${keys.map((k) => k.kid).join(', ')})`);
  }
  const lookup = s.DATA_LOOKUP_KEY ? decodeKey(s.DATA_LOOKUP_KEY) : null;
  if (!s.DATA_LOOKUP_KEY) issue('DATA_LOOKUP_KEY', 'is required with DATA_ENCRYPTION_KEYS (base64 of at least 32 random bytes)');
  else if (!lookup || lookup.length < 32) issue('DATA_LOOKUP_KEY', 'must be base64 of at least 32 random bytes');
  for (const [index, key] of previousLookupKeys(s.DATA_LOOKUP_KEY_PREVIOUS).entries()) {
    if (!key || key.length < 32) issue('DATA_LOOKUP_KEY_PREVIOUS', `entry ${index + 1} must be base64 of at least 32 random bytes`);
  }
}

function dataKeySource(s: RawSettings, dataDir: string): DataKeySource {
  if (!s.DATA_ENCRYPTION_KEYS) return { kind: 'file', file: path.join(dataDir, 'data-keys.json') };
  const { keys } = parseKeyList(s.DATA_ENCRYPTION_KEYS);
  return {
    kind: 'settings',
    keys,
    activeKeyId: s.DATA_ENCRYPTION_ACTIVE_KEY ?? keys[0]!.kid,
    lookupKey: decodeKey(s.DATA_LOOKUP_KEY!)!,
    // Validated above: every entry decodes.
    previousLookupKeys: previousLookupKeys(s.DATA_LOOKUP_KEY_PREVIOUS) as Buffer[],
  };
}

export interface Settings {
  env: RawSettings['NODE_ENV'];
  logLevel: RawSettings['LOG_LEVEL'];
  dataDir: string;
  /** Postgres URL per subgraph; undefined means embedded PGlite. */
  databaseUrls: Record<SubgraphName, string | undefined>;
  databasePoolSize: number;
  natsUrl: string | undefined;
  /** Separates deployments (and test runs) sharing a NATS server. */
  eventsNamespace: string;
  gateway: {
    host: string;
    port: number;
    subgraphTimeoutMs: number;
    maxRequestBytes: number;
    /** Per operation (HTTP and subscriptions); 0 turns a limit off. */
    limits: { maxDepth: number; maxCost: number; maxAliases: number; maxDirectives: number; maxTokens: number };
    /** Per caller per window at each replica; 0 turns a limit off. */
    rateLimit: { requests: number; subscriptions: number; windowSeconds: number };
  };
  subgraphPorts: Record<SubgraphName, number>;
  /** Where the gateway finds each subgraph; defaults to localhost on the subgraph's port. */
  subgraphUrls: Record<SubgraphName, string>;
  auth:
    | { mode: 'development'; keyFile: string; issuer: string; audience: string }
    | { mode: 'oidc'; issuer: string; audience: string; jwksUrl: string; jwksCacheMaxAgeMs: number; jwksCooldownMs: number };
  explorerEnabled: boolean;
  introspectionEnabled: boolean;
  /**
   * Who a subgraph believes about the client's address (`x-forwarded-for`, for the audit trail): the gateway's
   * addresses, as addresses, CIDR ranges or loopback / linklocal / uniquelocal.
   */
  trustedProxies: string[];
  /** The airline's loyalty system of record, when accounts are mirrored from it. */
  externalLoyalty: { baseUrl: string; timeoutMs: number; maxAgeSeconds: number } | null;
  /** Where every domain event is written, hour by hour, as newline-delimited CloudEvents for the data platform. */
  historyFeedDir: string | null;
  /** The CRM's webhook for outbound delivery of invitations (and other configured events), signed with HMAC. */
  crmWebhook: { url: string; secret: string; eventTypes: string[] } | null;
  /** An external AI service for sentiment and key phrases; null: analysed locally only (it is also the fallback). */
  textAnalysis: { url: string; token: string | null; timeoutMs: number } | null;
  /** Euros per Special Drawing Right, for the Montreal Convention baggage limit. */
  compensation: { sdrEurRate: number };
  /** Outbound e-mail and SMS: each channel goes to its provider when configured, else to the embedded capture. */
  delivery: {
    /** The sender of every e-mail and the ORGANIZER of meeting invitations. */
    from: string;
    smtpUrl: string | null;
    sms: { url: string; token: string; from: string } | null;
    /** Attempts per message, the first included; then it is FAILED with the last error. */
    maxAttempts: number;
    /** Wait before the second attempt; doubled for each further one, up to maxBackoffMs. */
    backoffMs: number;
    maxBackoffMs: number;
    /** How often the dispatcher looks for due messages. */
    intervalMs: number;
    /** How long a message may stay SENDING before another dispatcher takes it over. */
    leaseMs: number;
    /** Bound on one call to the SMTP server or the SMS provider. */
    timeoutMs: number;
    /** Failures in a row after which a provider is left alone for breakerOpenMs (messages wait, attempts unspent). */
    breakAfter: number;
    breakerOpenMs: number;
  };
  attachments: {
    maxBytes: number;
    /** Where clients reach the case subgraph's attachment links (local store); null: the address it was called at. */
    publicUrl: string | null;
    /** Local files under the data directory unless an S3-compatible bucket is configured. */
    directory: string;
    s3: { endpoint?: string; publicEndpoint?: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string } | null;
  };
  cases: {
    /** Hours unresolved after which a case escalates by itself, per priority. */
    escalationHours: { CRITICAL: number; HIGH: number; MEDIUM: number; LOW: number };
    escalationIntervalSeconds: number;
  };
  /**
   * The keys of sensitive fields at rest: from DATA_ENCRYPTION_KEYS (required in production), else the embedded
   * key file `data-keys.json` in the data directory, created on first start.
   */
  dataKeys: DataKeySource;
  invitation: {
    /** The Ed25519 key ring that signs lounge QR codes. */
    qrKeysFile: string;
    /** Development only: create the key ring on first start when the file is missing. */
    createQrKeys: boolean;
    /** Bound on one eligibility question to the loyalty subgraph. */
    eligibilityTimeoutMs: number;
    /** How old a last known loyalty tier may be and still decide an invitation when loyalty cannot answer; 0 refuses. */
    lastKnownTierMaxAgeSeconds: number;
    expiryIntervalSeconds: number;
    /** How long a guest is assumed to stay, for the lounge's occupancy estimate (entries are scanned, exits are not). */
    loungeDwellMinutes: number;
  };
}

export const DEV_ISSUER = 'cmp-development';
export const DEV_AUDIENCE = 'cmp';

/** Validates the environment once. Throws SettingsError naming every bad variable. */
export function parseSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = settingsSchema.safeParse(cleaned);
  if (!result.success) {
    throw new SettingsError(result.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const s = result.data;
  const dataDir = path.resolve(s.CMP_DATA_DIR);
  const ports: Record<SubgraphName, number> = {
    customer: s.CUSTOMER_PORT,
    interaction: s.INTERACTION_PORT,
    case: s.CASE_PORT,
    invitation: s.INVITATION_PORT,
    loyalty: s.LOYALTY_PORT,
  };
  const urlOverrides: Record<SubgraphName, string | undefined> = {
    customer: s.CUSTOMER_URL,
    interaction: s.INTERACTION_URL,
    case: s.CASE_URL,
    invitation: s.INVITATION_URL,
    loyalty: s.LOYALTY_URL,
  };
  const dbOverrides: Record<SubgraphName, string | undefined> = {
    customer: s.CUSTOMER_DATABASE_URL,
    interaction: s.INTERACTION_DATABASE_URL,
    case: s.CASE_DATABASE_URL,
    invitation: s.INVITATION_DATABASE_URL,
    loyalty: s.LOYALTY_DATABASE_URL,
  };
  const perSubgraph = <T>(f: (name: SubgraphName) => T) =>
    Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, f(n)])) as Record<SubgraphName, T>;
  const production = s.NODE_ENV === 'production';
  return {
    env: s.NODE_ENV,
    logLevel: s.LOG_LEVEL,
    dataDir,
    databaseUrls: perSubgraph((n) => dbOverrides[n] ?? s.DATABASE_URL),
    databasePoolSize: s.DATABASE_POOL_SIZE,
    natsUrl: s.NATS_URL,
    eventsNamespace: s.EVENTS_NAMESPACE,
    gateway: {
      host: s.HOST,
      port: s.PORT,
      subgraphTimeoutMs: s.SUBGRAPH_TIMEOUT_MS,
      maxRequestBytes: s.MAX_REQUEST_BYTES,
      limits: {
        maxDepth: s.MAX_QUERY_DEPTH,
        maxCost: s.MAX_QUERY_COST,
        maxAliases: s.MAX_ALIASES,
        maxDirectives: s.MAX_DIRECTIVES,
        maxTokens: s.MAX_QUERY_TOKENS,
      },
      // On in production by default (a lounge scanner or an agent console stays far below); off elsewhere, so
      // local benches and tests that send many requests with one token are not throttled.
      rateLimit: {
        requests: s.RATE_LIMIT_REQUESTS ?? (production ? 1_200 : 0),
        subscriptions: s.RATE_LIMIT_SUBSCRIPTIONS ?? (production ? 120 : 0),
        windowSeconds: s.RATE_LIMIT_WINDOW_S,
      },
    },
    subgraphPorts: ports,
    subgraphUrls: perSubgraph((n) => urlOverrides[n] ?? `http://localhost:${ports[n]}/graphql`),
    auth: s.AUTH_JWKS_URL
      ? {
          mode: 'oidc',
          issuer: s.AUTH_ISSUER!,
          audience: s.AUTH_AUDIENCE!,
          jwksUrl: s.AUTH_JWKS_URL,
          jwksCacheMaxAgeMs: s.AUTH_JWKS_CACHE_MAX_AGE_MS,
          jwksCooldownMs: s.AUTH_JWKS_COOLDOWN_MS,
        }
      : {
          mode: 'development',
          keyFile: path.join(dataDir, 'dev-signing-key.json'),
          issuer: DEV_ISSUER,
          audience: DEV_AUDIENCE,
        },
    explorerEnabled: s.EXPLORER_ENABLED ?? !production,
    introspectionEnabled: s.INTROSPECTION_ENABLED ?? !production,
    trustedProxies: s.TRUSTED_PROXIES,
    externalLoyalty: s.LOYALTY_EXTERNAL_URL
      ? { baseUrl: s.LOYALTY_EXTERNAL_URL, timeoutMs: s.LOYALTY_EXTERNAL_TIMEOUT_MS, maxAgeSeconds: s.LOYALTY_EXTERNAL_MAX_AGE_S }
      : null,
    compensation: { sdrEurRate: s.COMPENSATION_SDR_EUR_RATE },
    delivery: {
      from: s.SMTP_FROM,
      smtpUrl: s.SMTP_URL ?? null,
      sms: s.SMS_PROVIDER_URL ? { url: s.SMS_PROVIDER_URL, token: s.SMS_PROVIDER_TOKEN!, from: s.SMS_FROM } : null,
      maxAttempts: s.DELIVERY_MAX_ATTEMPTS,
      backoffMs: s.DELIVERY_BACKOFF_MS,
      maxBackoffMs: s.DELIVERY_MAX_BACKOFF_MS,
      intervalMs: s.DELIVERY_INTERVAL_MS,
      leaseMs: s.DELIVERY_LEASE_S * 1000,
      timeoutMs: s.DELIVERY_TIMEOUT_MS,
      breakAfter: s.DELIVERY_BREAK_AFTER,
      breakerOpenMs: s.DELIVERY_BREAKER_OPEN_MS,
    },
    textAnalysis: s.TEXT_ANALYSIS_URL ? { url: s.TEXT_ANALYSIS_URL, token: s.TEXT_ANALYSIS_TOKEN ?? null, timeoutMs: s.TEXT_ANALYSIS_TIMEOUT_MS } : null,
    historyFeedDir: s.HISTORY_FEED_DIR ? path.resolve(s.HISTORY_FEED_DIR) : null,
    crmWebhook: s.CRM_WEBHOOK_URL ? { url: s.CRM_WEBHOOK_URL, secret: s.CRM_WEBHOOK_SECRET!, eventTypes: s.CRM_WEBHOOK_EVENTS.split(',') } : null,
    attachments: {
      maxBytes: s.ATTACHMENT_MAX_BYTES,
      publicUrl: s.ATTACHMENTS_PUBLIC_URL?.replace(/\/$/, '') ?? null,
      directory: path.join(dataDir, 'attachments'),
      s3: s.ATTACHMENTS_S3_BUCKET
        ? {
            ...(s.ATTACHMENTS_S3_ENDPOINT ? { endpoint: s.ATTACHMENTS_S3_ENDPOINT } : {}),
            ...(s.ATTACHMENTS_S3_PUBLIC_ENDPOINT ? { publicEndpoint: s.ATTACHMENTS_S3_PUBLIC_ENDPOINT } : {}),
            region: s.ATTACHMENTS_S3_REGION,
            bucket: s.ATTACHMENTS_S3_BUCKET,
            accessKeyId: s.ATTACHMENTS_S3_ACCESS_KEY_ID!,
            secretAccessKey: s.ATTACHMENTS_S3_SECRET_ACCESS_KEY!,
          }
        : null,
    },
    cases: {
      escalationHours: {
        CRITICAL: 4,
        HIGH: 24,
        MEDIUM: 48,
        LOW: 168,
        ...Object.fromEntries((s.CASE_ESCALATION_HOURS ?? '').split(',').filter(Boolean).map((pair) => [pair.split('=')[0], Number(pair.split('=')[1])])),
      },
      escalationIntervalSeconds: s.CASE_ESCALATION_INTERVAL_S,
    },
    dataKeys: dataKeySource(s, dataDir),
    invitation: {
      qrKeysFile: path.resolve(s.QR_KEYS_FILE ?? path.join(dataDir, 'qr-signing-keys.json')),
      createQrKeys: !production && !s.QR_KEYS_FILE,
      eligibilityTimeoutMs: s.INVITATION_ELIGIBILITY_TIMEOUT_MS,
      lastKnownTierMaxAgeSeconds: s.INVITATION_LAST_KNOWN_TIER_MAX_AGE_S,
      expiryIntervalSeconds: s.INVITATION_EXPIRY_INTERVAL_S,
      loungeDwellMinutes: s.LOUNGE_DWELL_MINUTES,
    },
  };
}

/** Boot-time variant: prints what is wrong and exits, so a bad deployment fails loudly and at once. */
export function loadSettingsOrExit(env: NodeJS.ProcessEnv = process.env): Settings {
  try {
    return parseSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
