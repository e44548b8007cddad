import type { SubgraphContext } from '@cmp/platform';
import type { Loaders } from './loaders.ts';

export type Context = SubgraphContext<Loaders>;
