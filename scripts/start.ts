/**
 * `pnpm start`: the whole platform from one command. Embedded (no settings): PGlite under .data/, demo data on
 * first start. With DATABASE_URL: the same processes against that Postgres server, each subgraph in its schema.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, loadSettingsOrExit, signDevToken } from '@cmp/platform';
import { startPlatform } from './platform.ts';
import { graphqlClient, seedDemoData } from './seed-data.ts';

const settings = loadSettingsOrExit();
const logger = createLogger({ name: 'cmp', level: settings.logLevel });
const embedded = Object.values(settings.databaseUrls).every((url) => !url);

const platform = await startPlatform(settings, { logger });

const marker = path.join(settings.dataDir, 'seeded.json');
if (embedded && !existsSync(marker) && settings.auth.mode === 'development') {
  const token = await signDevToken(settings, { roles: ['Admin'], subject: 'seed', expiresIn: '10m' });
  const summary = await seedDemoData(graphqlClient(platform.gateway.url, token));
  await writeFile(marker, JSON.stringify({ seededAt: new Date().toISOString(), ...summary }, null, 2));
  logger.info(summary, 'demo data seeded');
}

const origin = new URL(platform.gateway.url).origin;
process.stdout.write(
  [
    '',
    `  Customer platform is up (${embedded ? `embedded, data in ${settings.dataDir}` : 'server mode, Postgres'})`,
    `  GraphQL explorer:  ${platform.gateway.url}`,
    `  Health / ready:    ${origin}/health  ${origin}/ready`,
    `  A token:           pnpm token --role Admin`,
    `  A door scan:       pnpm scan --lounge MAD-VELAZQUEZ --image <qr.png> (or --payload 'LX1:...')`,
    ...platform.subgraphs.map((s) => `  ${s.name.padEnd(12)} subgraph: ${s.url}`),
    '',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await platform.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
