import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The codes a client can rely on (API.md), plus domain codes such as CUST-002. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;

/** A failure the client caused or is entitled to know about; its message and extensions are safe to show. */
export class AppError extends GraphQLError {
  constructor(message: string, code: string, extensions: Record<string, unknown> = {}, httpStatus?: number) {
    super(message, {
      extensions: { code, ...extensions, ...(httpStatus ? { http: { status: httpStatus } } : {}) },
    });
    this.name = 'AppError';
  }
  get code(): string {
    return this.extensions.code as string;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required: send a valid bearer token') {
    super(message, ErrorCode.UNAUTHENTICATED, {}, 401);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super(message, ErrorCode.FORBIDDEN);
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id: string, domainCode?: string) {
    super(`${entity} ${id} was not found`, domainCode ?? ErrorCode.NOT_FOUND, { entity, id });
  }
}

/** Invalid input: always names the field and the rule it broke. */
export class BadUserInputError extends AppError {
  constructor(field: string, message: string, extra: Record<string, unknown> = {}) {
    super(`${field}: ${message}`, ErrorCode.BAD_USER_INPUT, { field, ...extra });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message, ErrorCode.CONFLICT, extensions);
  }
}

/** A broken business rule with a domain code from DOMAIN.md (CUST-003, COMP-003, ...). */
export class DomainRuleError extends AppError {
  constructor(domainCode: string, message: string, extensions: Record<string, unknown> = {}) {
    super(message, domainCode, extensions);
  }
}

/** A subscription sent as a plain HTTP request: it has to come over the WebSocket protocol instead. */
export class SubscriptionOverHttpError extends AppError {
  constructor() {
    super(
      'Subscriptions are served over WebSocket: connect to /graphql with the graphql-transport-ws protocol (graphql-ws) and send the operation there',
      'BAD_REQUEST',
      {},
      400,
    );
  }
}

/** The `subscribe` of a subgraph's Subscription fields: the gateway serves them, a subgraph asked directly explains why not. */
export function servedByTheGateway(): never {
  throw new SubscriptionOverHttpError();
}

/** How a unique constraint's violation is told to the client. */
export interface ConstraintError {
  message: string;
  field?: string;
  code?: string;
}

const PASSTHROUGH_CODES = new Set([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.NOT_FOUND,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.CONFLICT,
  ErrorCode.SERVICE_UNAVAILABLE,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);
const DOMAIN_CODE = /^[A-Z]{3,5}-\d{3}$/;

export function isClientSafeCode(code: unknown): boolean {
  return typeof code === 'string' && (PASSTHROUGH_CODES.has(code as never) || DOMAIN_CODE.test(code));
}

/** Walks an error's cause chain (drizzle wraps driver errors in DrizzleQueryError). */
function* causes(error: unknown): Generator<Record<string, unknown>> {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    yield current as Record<string, unknown>;
    const next = (current as { cause?: unknown; originalError?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
    if (next === current) break;
    current = next;
  }
}

/** Finds a Postgres unique violation (23505) and the constraint it broke, from postgres.js or PGlite. */
export function uniqueViolationConstraint(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (e.code === '23505') return (e.constraint_name ?? e.constraint) as string | undefined;
  }
  return undefined;
}

function coercionField(message: string): string | undefined {
  // graphql-js: Variable "$input" got invalid value "x" at "input.primaryEmail"; ...
  const at = /at "([^"]+)"/.exec(message);
  if (at) return at[1];
  const variable = /Variable "\$([^"]+)"/.exec(message);
  return variable?.[1];
}

export interface FormatErrorOptions {
  constraintErrors?: Record<string, ConstraintError>;
}

/** True for errors a client must not see the details of; those are logged with the request id. */
export function isUnexpectedError(error: unknown): boolean {
  if (uniqueViolationConstraint(error)) return false;
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return !isClientSafeCode(code);
}

/**
 * Apollo Server's formatError: client-safe errors pass with their code; unique violations become CONFLICT by
 * constraint name; everything else reaches the client as a bare INTERNAL_SERVER_ERROR, with no stack, SQL or
 * path (the server plugin logs the original with the request id).
 */
export function createErrorFormatter({ constraintErrors = {} }: FormatErrorOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { stacktrace: _stack, exception: _exception, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    const base = { locations: formatted.locations, path: formatted.path };
    const code = extensions.code;

    const constraint = uniqueViolationConstraint(error);
    if (constraint) {
      const known = constraintErrors[constraint];
      return {
        ...base,
        message: known?.message ?? 'This record conflicts with one that already exists',
        extensions: {
          code: known?.code ?? ErrorCode.CONFLICT,
          ...(known?.field ? { field: known.field } : {}),
        },
      };
    }
    if (isClientSafeCode(code)) {
      if (code === ErrorCode.BAD_USER_INPUT && !extensions.field) {
        const field = coercionField(formatted.message);
        if (field) extensions.field = field;
      }
      return { ...base, message: formatted.message, extensions };
    }
    return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
