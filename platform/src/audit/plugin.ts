import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type GraphQLResolveInfo, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '../logger.ts';
import type { AuditEntry, AuditRecorder } from './recorder.ts';

interface AuditedContext extends BaseContext {
  audit: AuditRecorder;
}

const CUSTOMER_ID_KEY = /^(customerId|sourceCustomerId|targetCustomerId|customerIds)$/;

/** Dotted names of every argument and input field given (never their values), e.g. `input.address.city`. */
export function argumentFieldNames(args: Record<string, unknown>): string[] {
  const names = new Set<string>();
  const walk = (value: unknown, path: string, depth: number) => {
    if (depth > 6) return;
    if (Array.isArray(value)) {
      for (const item of value.slice(0, 50)) walk(item, path, depth + 1);
      return;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      for (const [key, inner] of Object.entries(value)) {
        if (inner === undefined) continue;
        const name = path ? `${path}.${key}` : key;
        names.add(name);
        walk(inner, name, depth + 1);
      }
    }
  };
  walk(args, '', 0);
  return [...names];
}

/** Customer ids named anywhere in the arguments (`customerId`, `input.customerId`, a merge's source and target...). */
export function customerIdsIn(value: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 50)) customerIdsIn(item, out, depth + 1);
    return out;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (CUSTOMER_ID_KEY.test(key)) {
      for (const id of Array.isArray(inner) ? inner : [inner]) if (typeof id === 'string') out.add(id);
    } else if (inner !== null && typeof inner === 'object' && !(inner instanceof Date)) {
      customerIdsIn(inner, out, depth + 1);
    }
  }
  return out;
}

/** Without graphql's instanceof checks: Apollo Server and the schema may load graphql as different modules. */
function namedTypeName(type: unknown): string {
  let current = type as { ofType?: unknown; name?: string };
  while (current.ofType) current = current.ofType as { ofType?: unknown; name?: string };
  return current.name ?? '';
}

function errorCode(error: unknown): string {
  const e = error as { extensions?: { code?: unknown }; originalError?: { extensions?: { code?: unknown } } } | null;
  const code = e?.extensions?.code ?? e?.originalError?.extensions?.code;
  if (typeof code === 'string') return code;
  const pg = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (pg?.code === '23505' || pg?.cause?.code === '23505') return 'CONFLICT';
  return 'INTERNAL_SERVER_ERROR';
}

/** The result's own id, else the first other id it names (a scan's `invitationId`). */
function targetIdOf(record: Record<string, unknown>): string | null {
  if (typeof record.id === 'string') return record.id;
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'customerId' && key.endsWith('Id') && typeof value === 'string') return value;
  }
  return null;
}

/** The audit record of one root mutation field, from its arguments, its result and how it ended. */
export function mutationEntry(info: GraphQLResolveInfo, args: Record<string, unknown>, error: unknown, result: unknown): AuditEntry {
  const returnType = namedTypeName(info.returnType);
  const customers = customerIdsIn(args);
  const record = result !== null && typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, unknown>) : null;
  const argId = typeof args.id === 'string' ? args.id : null;
  if (returnType === 'Customer' && argId) customers.add(argId);
  if (record) {
    if (typeof record.customerId === 'string') customers.add(record.customerId);
    if (returnType === 'Customer' && typeof record.id === 'string') customers.add(record.id);
  }
  const scalarResult = ['Boolean', 'String', 'ID', 'Int', 'Float'].includes(returnType);
  return {
    action: info.fieldName,
    outcome: error ? errorCode(error) : 'ok',
    fields: argumentFieldNames(args),
    customerIds: [...customers],
    targetType: scalarResult ? null : returnType,
    targetId: (record ? targetIdOf(record) : null) ?? argId,
  };
}

/** Names of the arguments written in the document, for a mutation that never ran (its variables were refused). */
function documentEntries(operation: OperationDefinitionNode, code: string): AuditEntry[] {
  return operation.selectionSet.selections.flatMap((selection) =>
    selection.kind === Kind.FIELD && !selection.name.value.startsWith('__')
      ? [{ action: selection.name.value, outcome: code, fields: (selection.arguments ?? []).map((a) => a.name.value) }]
      : [],
  );
}

/**
 * Records every root mutation field of every request (one row each, refused attempts included), so a new
 * mutation cannot forget its audit record, and writes the request's audit rows once when it ends (mutations and
 * sensitive reads alike). Root fields in `writeBehind` (the door scan) go through the write-behind buffer.
 */
export function auditPlugin<T extends AuditedContext>(
  options: { writeBehind?: readonly string[]; logger?: Logger } = {},
): ApolloServerPlugin<T> {
  const writeBehind = new Set(options.writeBehind ?? []);
  return {
    async requestDidStart() {
      let rootFieldsSeen = 0;
      const actions: string[] = [];
      return {
        async executionDidStart({ operation, contextValue }) {
          if (operation.operation !== 'mutation') return;
          return {
            willResolveField({ info, args }) {
              if (info.path.prev !== undefined) return;
              rootFieldsSeen++;
              return (error, result) => {
                actions.push(info.fieldName);
                try {
                  contextValue.audit.record(mutationEntry(info, args as Record<string, unknown>, error, result));
                } catch (failure) {
                  options.logger?.error({ err: failure, field: info.fieldName }, 'audit record could not be built');
                  contextValue.audit.record({ action: info.fieldName, outcome: error ? errorCode(error) : 'ok' });
                }
              };
            },
          };
        },
        async willSendResponse({ operation, contextValue, response }) {
          const audit = contextValue.audit as AuditRecorder | undefined;
          if (!audit) return;
          if (operation?.operation === 'mutation' && rootFieldsSeen === 0) {
            const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
            const code = errors?.[0]?.extensions?.code;
            for (const entry of documentEntries(operation, typeof code === 'string' ? code : 'BAD_REQUEST')) {
              audit.record(entry);
            }
          }
          const hot = actions.length > 0 && actions.every((a) => writeBehind.has(a)) && audit.pending.every((r) => writeBehind.has(r.action));
          try {
            await audit.flush(hot ? 'write-behind' : 'now');
          } catch (error) {
            // The answer stands (a committed mutation stays committed); the lost record is reported loudly.
            options.logger?.error({ err: error, requestId: (contextValue as { requestId?: string }).requestId }, 'audit records could not be written');
          }
        },
      };
    },
  };
}
