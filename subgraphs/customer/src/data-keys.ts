import { loadDataKeyRing, parseSettings, type Database, type DataKeyRing, type Settings } from '@cmp/platform';

/**
 * The data keys of each customer database. A subgraph binds its database's key ring when it starts (from its
 * settings, so a bad ring fails the start); code running on a database nobody bound (a script, a test harness)
 * uses the process's own settings: DATA_ENCRYPTION_KEYS, else the key file in CMP_DATA_DIR, as a start would.
 */
const bound = new WeakMap<object, Promise<DataKeyRing>>();
let fromProcessSettings: Promise<DataKeyRing> | null = null;

export function bindDataKeys(db: Database, ring: DataKeyRing | Promise<DataKeyRing>): Promise<DataKeyRing> {
  const promise = Promise.resolve(ring);
  bound.set(db, promise);
  return promise;
}

export function bindDataKeysFromSettings(db: Database, settings: Settings): Promise<DataKeyRing> {
  return bindDataKeys(db, loadDataKeyRing(settings.dataKeys));
}

export function dataKeysFor(db: Database): Promise<DataKeyRing> {
  const ring = bound.get(db);
  if (ring) return ring;
  fromProcessSettings ??= loadDataKeyRing(parseSettings().dataKeys);
  return fromProcessSettings;
}
