import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';

function parseDate(value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const parsed = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value)) return value;
  }
  throw new GraphQLError(`Date must be a calendar date as YYYY-MM-DD, got ${JSON.stringify(value)}`);
}

/** Calendar dates as `YYYY-MM-DD` strings both ways (never shifted by a time zone). */
export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, ISO 8601 (YYYY-MM-DD).',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : parseDate(value)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

export const scalarResolvers = { DateTime: DateTimeResolver, Date: DateScalar };
