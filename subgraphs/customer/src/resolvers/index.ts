import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { commerceResolvers } from './commerce.ts';
import { contactResolvers } from './contacts.ts';
import { customerResolvers } from './customers.ts';
import { searchResolvers } from './search.ts';
import { transferResolvers } from './transfer.ts';

type ResolverMap = Record<string, Record<string, unknown> | unknown>;

/** One resolver map from each area's: types they share (Query, Mutation, Customer) get the fields of all. */
function mergeResolvers(...maps: Resolvers<Context>[]): Resolvers<Context> {
  const merged: ResolverMap = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      const existing = merged[type];
      if (existing && typeof existing === 'object' && !('serialize' in existing)) {
        for (const name of Object.keys(fields as object)) {
          if (name in existing) throw new Error(`resolver ${type}.${name} is defined twice`);
        }
        merged[type] = { ...existing, ...(fields as object) };
      } else {
        merged[type] = fields;
      }
    }
  }
  return merged as Resolvers<Context>;
}

export const resolvers = mergeResolvers(customerResolvers, searchResolvers, contactResolvers, transferResolvers, commerceResolvers);
