import DataLoader from 'dataloader';

/** Helpers for DataLoader batch functions: results must come back in the order of the keys. */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

export function alignOne<T>(keys: readonly string[], rows: readonly T[], key: (row: T) => string): (T | null)[] {
  const byKey = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => byKey.get(k) ?? null);
}

export function alignMany<T>(keys: readonly string[], rows: readonly T[], key: (row: T) => string): T[][] {
  const groups = groupBy(rows, key);
  return keys.map((k) => groups.get(k) ?? []);
}

/**
 * Loaders for a list field with arguments (`cases(status: ...)`): one DataLoader per distinct argument set, so
 * every parent asking the same thing in one request is served by a single query.
 */
export function loaderPerArguments<A, V>(batch: (keys: readonly string[], args: A) => Promise<V[]>) {
  const loaders = new Map<string, DataLoader<string, V>>();
  return (key: string, args: A): Promise<V> => {
    const id = JSON.stringify(args);
    let loader = loaders.get(id);
    if (!loader) {
      loader = new DataLoader<string, V>((keys) => batch(keys, args));
      loaders.set(id, loader);
    }
    return loader.load(key);
  };
}

/** A list argument as a loader key: duplicates and order do not matter, and empty means no filter. */
export function normaliseFilter<T extends string>(values: readonly T[] | null | undefined): T[] | null {
  return values?.length ? [...new Set(values)].sort() : null;
}
