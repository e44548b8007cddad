import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';

export const deliveryResolvers: Resolvers<Context> = {};
