import { nudgeOutbox, startIntervalJob, type Database, type EventContext, type Logger, type Settings } from '@cmp/platform';
import { claimExport, claimImport } from '../db/transfer.repo.ts';
import { runExport } from './exports.ts';
import { LEASE_MS, runImport } from './imports.ts';
import { loadLinkKey } from './links.ts';

export const WORKER_EVENTS: EventContext = { source: 'cmp.customer', traceparent: null };
/** Jobs one run works at most before yielding to the next interval. */
const JOBS_PER_RUN = 10;

/** Works queued imports (and ones whose worker's lease ran out) until none is left or the run's share is done. */
export async function workContactImports(db: Database, log: Logger): Promise<number> {
  let worked = 0;
  for (; worked < JOBS_PER_RUN; worked++) {
    const lease = new Date(Date.now() + LEASE_MS);
    const job = await claimImport(db, new Date(), lease);
    if (!job) break;
    await runImport(db, job, lease, WORKER_EVENTS, log);
    nudgeOutbox('customer');
  }
  return worked;
}

export async function workContactExports(db: Database, log: Logger): Promise<number> {
  let worked = 0;
  for (; worked < JOBS_PER_RUN; worked++) {
    const lease = new Date(Date.now() + LEASE_MS);
    const job = await claimExport(db, new Date(), lease);
    if (!job) break;
    await runExport(db, job, lease, log);
  }
  return worked;
}

/** The background workers of contact imports and exports, one of each per process. */
export async function startContactTransferJobs({ db, settings, logger }: { db: Database; settings: Settings; logger: Logger }) {
  await loadLinkKey(settings.dataDir);
  const log = logger.child({ component: 'contact-transfer' });
  const imports = startIntervalJob('contact-imports', 1_000, log, async () => void (await workContactImports(db, log)));
  const exports = startIntervalJob('contact-exports', 1_000, log, async () => void (await workContactExports(db, log)));
  return {
    async stop() {
      await Promise.all([imports.stop(), exports.stop()]);
    },
  };
}
