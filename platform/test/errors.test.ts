import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BadUserInputError, DomainRuleError, createErrorFormatter, isUnexpectedError } from '../src/index.ts';

const format = createErrorFormatter({
  constraintErrors: { customers_primary_email_key: { code: 'CUST-002', field: 'primaryEmail', message: 'duplicate e-mail' } },
});
const located = (error: Error) => new GraphQLError(error.message, { originalError: error, path: ['createCustomer'] });

describe('error formatting', () => {
  it('passes client errors with their code and field', () => {
    const error = located(new BadUserInputError('primaryEmail', 'is not a valid e-mail address'));
    expect(format({ message: error.message, extensions: error.extensions, path: ['createCustomer'] }, error)).toEqual({
      message: 'primaryEmail: is not a valid e-mail address',
      path: ['createCustomer'],
      locations: undefined,
      extensions: { code: 'BAD_USER_INPUT', field: 'primaryEmail' },
    });
    const rule = located(new DomainRuleError('COMP-003', 'A closed case cannot change'));
    expect(format({ message: rule.message, extensions: rule.extensions }, rule).extensions).toEqual({ code: 'COMP-003' });
  });

  it('turns a unique violation wrapped by drizzle into the mapped conflict, hiding the SQL', () => {
    const driver = Object.assign(new Error('duplicate key value violates unique constraint "customers_primary_email_key"'), {
      code: '23505',
      constraint_name: 'customers_primary_email_key',
    });
    const drizzle = Object.assign(new Error('Failed query: insert into "customer"."customers" ...'), { cause: driver });
    const error = located(drizzle);
    const formatted = format({ message: error.message, extensions: {} }, error);
    expect(formatted).toMatchObject({ message: 'duplicate e-mail', extensions: { code: 'CUST-002', field: 'primaryEmail' } });
    expect(JSON.stringify(formatted)).not.toMatch(/insert|Failed query/);
    expect(isUnexpectedError(error)).toBe(false);
  });

  it('answers an unknown failure with a bare INTERNAL_SERVER_ERROR and no stack', () => {
    const error = located(new TypeError("Cannot read properties of undefined (reading 'id') at /app/src/x.ts:3"));
    const formatted = format({ message: error.message, extensions: { stacktrace: ['TypeError: ...', '  at x.ts:3'] } }, error);
    expect(formatted).toEqual({ message: 'Internal server error', locations: undefined, path: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(isUnexpectedError(error)).toBe(true);
  });

  it('names the input field of a variable that failed coercion', () => {
    const message = 'Variable "$input" got invalid value "LOUD" at "input.priority"; Value "LOUD" does not exist in "CasePriority" enum.';
    const error = new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
    expect(format({ message, extensions: error.extensions }, error).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.priority' });
  });
});
