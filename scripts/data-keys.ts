/**
 * Manages the keys that encrypt sensitive fields at rest (see README, "Data protection at rest"):
 *   pnpm data-keys status              the keys, which one encrypts, how many sealed values each still holds
 *   pnpm data-keys rotate              embedded key file: a new key that encrypts new writes (from the next start)
 *   pnpm data-keys reencrypt [--batch N]
 *                                      rewrites every value not sealed under the active key (and any plaintext an
 *                                      earlier release left), in batches, with progress; safe while the platform
 *                                      serves (server mode) and to run again
 *   pnpm data-keys retire <kid>        embedded key file: removes a key once no value is sealed under it
 * In server mode the keys come from settings (DATA_ENCRYPTION_KEYS, DATA_ENCRYPTION_ACTIVE_KEY): rotate by adding a
 * key there and making it active, roll out, run `reencrypt`, then drop the old key from the settings.
 * In embedded mode the database is PGlite inside the platform's process: stop the platform before `reencrypt`.
 */
import { DataKeyError, loadDataKeyRing, loadSettingsOrExit, prepareDatabase, removeDataKeys, rotateDataKeyFile } from '@cmp/platform';
import { bindDataKeys, countSealedValuesByKey, customerSubgraph, sealCustomerRows } from '@cmp/subgraph-customer';
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

function keyFile(): string {
  if (settings.dataKeys.kind !== 'file') {
    throw new UsageError(
      'the data keys come from settings (DATA_ENCRYPTION_KEYS): add a key there, make it DATA_ENCRYPTION_ACTIVE_KEY, roll out, then run `pnpm data-keys reencrypt`',
    );
  }
  return settings.dataKeys.file;
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
      break;
    }
    case 'rotate': {
      const { activeKeyId } = await rotateDataKeyFile(keyFile());
      out(activeKeyId);
      break;
    }
    case 'reencrypt': {
      const batchArg = args.indexOf('--batch');
      const batchSize = batchArg >= 0 ? Number(args[batchArg + 1]) : 500;
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError('--batch must be a whole number from 1 to 10000');
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
    default:
      throw new UsageError('usage: pnpm data-keys status | rotate | reencrypt [--batch N] | retire <kid>');
  }
} catch (error) {
  if (!(error instanceof UsageError || error instanceof DataKeyError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
