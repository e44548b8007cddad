import { createRequire } from 'node:module';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { Settings } from '@cmp/platform';
import type { ValidationContext, ValidationRule } from 'graphql';

/** The CommonJS graphql, as @apollo/gateway, graphql-ws and graphql-armor get it (see subscriptions.ts). */
const { GraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export type OperationLimits = Settings['gateway']['limits'];

/**
 * Where a refused operation's error names the limit it broke (`extensions.field`): the setting's subject, so a
 * client can tell depth from cost from aliases without parsing the message.
 */
export const LIMIT_FIELDS = {
  depth: 'depth',
  cost: 'cost',
  aliases: 'aliases',
  directives: 'directives',
} as const;

/**
 * graphql-armor's rules throw out of validation by default; here they report a validation error instead, which
 * Apollo Server answers with HTTP 400 and `GRAPHQL_VALIDATION_FAILED`, the limit in `extensions.field` and
 * `extensions.limit`, and the rest of the validation still running (one answer lists every broken limit).
 */
function reporting(field: string, limit: number) {
  return {
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: ValidationContext | null, error: Error) => {
        context?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, 'The operation is refused: '), {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED', field, limit },
          }),
        );
      },
    ],
  };
}

/**
 * Validation rules bounding what one operation may ask for: nesting depth, estimated cost (objects 2, scalars 1,
 * times 1.5 per level, times a literal `first`/`last`), aliases and directives. Introspection is not counted
 * (it is switched off as a whole in production). A limit of 0 turns its rule off.
 */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  const rules: ValidationRule[] = [];
  if (limits.maxDepth > 0) rules.push(maxDepthRule({ n: limits.maxDepth, ...reporting(LIMIT_FIELDS.depth, limits.maxDepth) }) as unknown as ValidationRule);
  if (limits.maxCost > 0) rules.push(costLimitRule({ maxCost: limits.maxCost, ...reporting(LIMIT_FIELDS.cost, limits.maxCost) }) as unknown as ValidationRule);
  if (limits.maxAliases > 0) rules.push(maxAliasesRule({ n: limits.maxAliases, ...reporting(LIMIT_FIELDS.aliases, limits.maxAliases) }) as unknown as ValidationRule);
  if (limits.maxDirectives > 0) rules.push(maxDirectivesRule({ n: limits.maxDirectives, ...reporting(LIMIT_FIELDS.directives, limits.maxDirectives) }) as unknown as ValidationRule);
  return rules;
}

/** graphql's parser stops at this many tokens (a huge document is refused before it is walked at all). */
export function parseOptions(limits: OperationLimits): { maxTokens?: number } {
  return limits.maxTokens > 0 ? { maxTokens: limits.maxTokens } : {};
}
