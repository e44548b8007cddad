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
