type ResolverMap = Record<string, unknown>;

/**
 * One resolver map from several areas' maps (a subgraph's resolvers split by area): types they share (Query,
 * Mutation, Customer) get the fields of all. A field defined twice is a programming error, reported at start.
 */
export function mergeResolverMaps<T extends object>(...maps: T[]): T {
  const merged: ResolverMap = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      const existing = merged[type];
      const isFieldMap = (value: unknown) => typeof value === 'object' && value !== null && !('serialize' in value);
      if (existing !== undefined && isFieldMap(existing) && isFieldMap(fields)) {
        for (const name of Object.keys(fields as object)) {
          if (name in (existing as object)) throw new Error(`resolver ${type}.${name} is defined twice`);
        }
        merged[type] = { ...(existing as object), ...(fields as object) };
      } else if (existing !== undefined) {
        throw new Error(`resolver ${type} is defined twice`);
      } else {
        merged[type] = fields;
      }
    }
  }
  return merged as T;
}
