/**
 * Manages the keys that encrypt sensitive fields at rest (see README, "Data protection at rest"):
 *   pnpm data-keys status              the keys, which one encrypts, how many sealed values each still holds
 *   pnpm data-keys rotate              embedded key file: a new key that encrypts new writes (from the next start)
 *   pnpm data-keys reencrypt [--batch N]
 *                                      rewrites every value not sealed under the active key (and any plaintext an
 *                                      earlier release left), in batches, with progress; safe while the platform
 *                                      serves (server mode) and to run again
 *   pnpm data-keys retire <kid>        embedded key file: removes a key once no value is sealed under it
 *   pnpm data-keys rotate-lookup       embedded key file: a new key for the passport lookup hashes; the previous one
 *                                      is still matched until it is retired
 *   pnpm data-keys rehash [--batch N]  rewrites every lookup hash not made with the current lookup key, with progress
 *   pnpm data-keys retire-lookup       embedded key file: drops the previous lookup keys once no hash needs them
 * In server mode the keys come from settings (DATA_ENCRYPTION_KEYS, DATA_ENCRYPTION_ACTIVE_KEY): rotate by adding a
 * key there and making it active, roll out, run `reencrypt`, then drop the old key from the settings. The lookup
 * key likewise: the new one in DATA_LOOKUP_KEY, the old one in DATA_LOOKUP_KEY_PREVIOUS, roll out, `rehash`, then
 * drop DATA_LOOKUP_KEY_PREVIOUS.
 * In embedded mode the database is PGlite inside the platform's process: stop the platform before `reencrypt`.
 */
import {
  DataKeyError,
  loadDataKeyRing,
  loadSettingsOrExit,
  prepareDatabase,
  removeDataKeys,
  removePreviousLookupKeys,
  rotateDataKeyFile,
  rotateLookupKeyFile,
} from '@cmp/platform';
import { bindDataKeys, countSealedValuesByKey, customerSubgraph, rehashPassportLookups, sealCustomerRows } from '@cmp/subgraph-customer';
import { openSubgraphDatabase } from './platform.ts';

const settings = loadSettingsOrExit();
const [command, ...args] = process.argv.slice(2);
const out = (line: string) => process.stdout.write(`${line}\n`);

class UsageError extends Error {}

async function withCustomerDatabase<T>(work: (db: Awaited<ReturnType<typeof openSubgraphDatabase>>['db']) => Promise<T>): Promise<T> {
  const database = await openSubgraphDatabase(settings, customerSubgraph);
  try {
    // Embedded databases are migrated at start; so are they here, as this may be the first process to open one.
    if (database.kind !== 'postgres') await prepareDatabase(customerSubgraph, database);
    return await work(database.db);
  } finally {
    await database.close();
  }
}

function keyFile(lookup = false): string {
  if (settings.dataKeys.kind !== 'file') {
    throw new UsageError(
      lookup
        ? 'the lookup key comes from settings: put a new key in DATA_LOOKUP_KEY and the old one in DATA_LOOKUP_KEY_PREVIOUS, roll out, run `pnpm data-keys rehash`, then drop DATA_LOOKUP_KEY_PREVIOUS'
        : 'the data keys come from settings (DATA_ENCRYPTION_KEYS): add a key there, make it DATA_ENCRYPTION_ACTIVE_KEY, roll out, then run `pnpm data-keys reencrypt`',
    );
  }
  return settings.dataKeys.file;
}

function batchSizeOf(args: string[]): number {
  const batchArg = args.indexOf('--batch');
  const batchSize = batchArg >= 0 ? Number(args[batchArg + 1]) : 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError('--batch must be a whole number from 1 to 10000');
  return batchSize;
}

try {
  switch (command) {
    case 'status': {
      const ring = await loadDataKeyRing(settings.dataKeys);
      const counts = await withCustomerDatabase((db) => countSealedValuesByKey(db));
      for (const kid of ring.keys.keys()) {
        out(`${kid}  ${kid === ring.activeKeyId ? 'active (encrypts)' : 'decrypts only'}  ${counts.get(kid) ?? 0} sealed values`);
      }
      for (const [kid, n] of counts) if (!ring.keys.has(kid)) out(`${kid}  MISSING from the key ring  ${n} sealed values cannot be read`);
      const previous = ring.previousLookupKeys?.length ?? 0;
      out(`lookup key: current${previous > 0 ? `, and ${previous} previous still matched until \`pnpm data-keys rehash\` and retire-lookup` : ''}`);
      break;
    }
    case 'rotate': {
      const { activeKeyId } = await rotateDataKeyFile(keyFile());
      out(activeKeyId);
      break;
    }
    case 'reencrypt': {
      const batchSize = batchSizeOf(args);
      const ring = await loadDataKeyRing(settings.dataKeys);
      const result = await withCustomerDatabase(async (db) => {
        await bindDataKeys(db, ring);
        return sealCustomerRows(db, ring, { batchSize, onProgress: ({ done, total }) => out(`${done} / ${total} customers`) });
      });
      out(`done: ${result.done} customers now sealed under ${ring.activeKeyId}`);
      break;
    }
    case 'retire': {
      const [kid] = args;
      if (!kid) throw new UsageError('usage: pnpm data-keys retire <kid>');
      const file = keyFile();
      const ring = await loadDataKeyRing(settings.dataKeys);
      if (!ring.keys.has(kid)) throw new UsageError(`there is no data key ${kid} (keys: ${[...ring.keys.keys()].join(', ')})`);
      if (kid === ring.activeKeyId) throw new UsageError(`${kid} is the active key and cannot be removed: rotate first`);
      const remaining = await withCustomerDatabase((db) => countSealedValuesByKey(db));
      if ((remaining.get(kid) ?? 0) > 0) {
        throw new UsageError(`${remaining.get(kid)} values are still sealed under ${kid}: run \`pnpm data-keys reencrypt\` first`);
      }
      out((await removeDataKeys(file, [kid])).join('\n'));
      break;
    }
    case 'rotate-lookup': {
      const { previousLookupKeys } = await rotateLookupKeyFile(keyFile(true));
      out(`new lookup key; ${previousLookupKeys} previous still matched: run \`pnpm data-keys rehash\`, then \`pnpm data-keys retire-lookup\``);
      break;
    }
    case 'rehash': {
      const batchSize = batchSizeOf(args);
      const ring = await loadDataKeyRing(settings.dataKeys);
      const result = await withCustomerDatabase((db) =>
        rehashPassportLookups(db, ring, { batchSize, onProgress: ({ checked, total }) => out(`${checked} / ${total} passport numbers`) }),
      );
      out(`done: ${result.stale} lookup hashes rewritten with the current lookup key, ${result.checked - result.stale} already were`);
      break;
    }
    case 'retire-lookup': {
      const file = keyFile(true);
      const ring = await loadDataKeyRing(settings.dataKeys);
      if (!ring.previousLookupKeys?.length) throw new UsageError('there is no previous lookup key to retire');
      const { stale } = await withCustomerDatabase((db) => rehashPassportLookups(db, ring, { dryRun: true }));
      if (stale > 0) throw new UsageError(`${stale} lookup hashes were made with a previous lookup key: run \`pnpm data-keys rehash\` first`);
      out(`${await removePreviousLookupKeys(file)} previous lookup keys removed`);
      break;
    }
    default:
      throw new UsageError('usage: pnpm data-keys status | rotate | reencrypt [--batch N] | retire <kid> | rotate-lookup | rehash [--batch N] | retire-lookup');
  }
} catch (error) {
  if (!(error instanceof UsageError || error instanceof DataKeyError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
