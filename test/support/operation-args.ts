import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Minimal well-typed arguments for any root field, generated from the schema's types: IDs as random UUIDs, enums
 * their first value, required input fields filled recursively, optional ones left out. Values are plausible, not
 * meaningful: enough for a call to pass GraphQL's own validation and reach the resolver. Specs override what
 * they need (a Customer token's own id, a device's lounge, injection strings in every text input).
 */
export interface ArgumentOptions {
  /**
   * A value for one position, or undefined for the default. `path` is the argument and input field names from
   * the root (`['input', 'customerId']`), `type` the named GraphQL type there.
   */
  override?(path: readonly string[], type: string): unknown;
  /** Also fill optional arguments and input fields (to reach every text input). */
  includeOptional?: boolean;
}

export interface GeneratedOperation {
  query: string;
  variables: Record<string, unknown>;
}

const MAX_DEPTH = 6;

function scalarValue(name: string, path: readonly string[]): unknown {
  switch (name) {
    case 'ID':
      return randomUUID();
    case 'String':
      return `value of ${path.at(-1) ?? 'field'}`;
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date(Date.now() + 86_400_000).toISOString();
    case 'Date':
      return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    case 'JSON':
      return {};
    default:
      return 'value';
  }
}

/** A value for one input type; undefined leaves an optional position out. */
export function valueFor(type: GraphQLInputType, path: readonly string[], options: ArgumentOptions = {}, depth = 0): unknown {
  const required = isNonNullType(type);
  const inner = required ? type.ofType : type;
  const named = getNamedType(type);
  const override = options.override?.(path, named.name);
  if (override !== undefined) return override;
  if (!required && !options.includeOptional) return undefined;
  if (depth > MAX_DEPTH) return required ? undefined : null;
  if (isListType(inner)) {
    const item = valueFor(inner.ofType as GraphQLInputType, path, options, depth + 1);
    return item === undefined ? [] : [item];
  }
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isScalarType(inner)) return scalarValue(inner.name, path);
  if (isInputObjectType(inner)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(inner.getFields())) {
      if (!isNonNullType(field.type) && !options.includeOptional && options.override?.([...path, field.name], getNamedType(field.type).name) === undefined) continue;
      if (isNonNullType(field.type) && field.defaultValue !== undefined && !options.includeOptional) continue;
      const fieldValue = valueFor(field.type, [...path, field.name], options, depth + 1);
      if (fieldValue !== undefined) value[field.name] = fieldValue;
    }
    return value;
  }
  return undefined;
}

export function argumentsFor(field: GraphQLField<unknown, unknown>, options: ArgumentOptions = {}): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of field.args as readonly GraphQLArgument[]) {
    if (isNonNullType(arg.type) && arg.defaultValue !== undefined && !options.includeOptional) continue;
    const value = valueFor(arg.type, [arg.name], options);
    if (value !== undefined) args[arg.name] = value;
  }
  return args;
}

/**
 * A document calling one root field with its arguments as variables, selecting only `__typename` (or nothing for
 * a leaf type), so the answer says whether the call was allowed without depending on the result's shape.
 */
export function operationFor(schema: GraphQLSchema, type: 'Query' | 'Mutation', fieldName: string, options: ArgumentOptions = {}): GeneratedOperation {
  const root = type === 'Query' ? schema.getQueryType() : schema.getMutationType();
  const field = root?.getFields()[fieldName];
  if (!field) throw new Error(`${type}.${fieldName} is not in the schema`);
  const variables = argumentsFor(field, options);
  const names = Object.keys(variables);
  const definitions = names.map((name) => `$${name}: ${field.args.find((a) => a.name === name)!.type.toString()}`);
  const call = names.length ? `${fieldName}(${names.map((n) => `${n}: $${n}`).join(', ')})` : fieldName;
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  const keyword = type === 'Query' ? 'query' : 'mutation';
  const query = `${keyword} Generated${definitions.length ? `(${definitions.join(', ')})` : ''} { ${call}${selection} }`;
  return { query, variables };
}

/** Every root field of a type, sorted, leaving out federation's own (`_entities`, `_service`). */
export function rootFields(schema: GraphQLSchema, type: 'Query' | 'Mutation'): string[] {
  const root = type === 'Query' ? schema.getQueryType() : schema.getMutationType();
  return Object.keys(root?.getFields() ?? {})
    .filter((name) => !name.startsWith('_'))
    .sort();
}
