/**
 * `pnpm db:seed`: loads the demo data on demand (server mode). Starts the platform in this process on free
 * ports against the configured databases, seeds through the gateway, and stops.
 */
import { createLogger, loadSettingsOrExit, signDevToken } from '@cmp/platform';
import { startPlatform } from './platform.ts';
import { graphqlClient, seedDemoData } from './seed-data.ts';

const settings = loadSettingsOrExit();
if (settings.auth.mode !== 'development') {
  process.stderr.write('db:seed signs its own Admin token and needs the development key (unset AUTH_JWKS_URL)\n');
  process.exit(2);
}
const logger = createLogger({ name: 'seed', level: settings.logLevel });
const platform = await startPlatform(settings, { ephemeralPorts: true, migrate: true, logger });
try {
  const token = await signDevToken(settings, { roles: ['Admin'], subject: 'seed', expiresIn: '10m' });
  const summary = await seedDemoData(graphqlClient(platform.gateway.url, token));
  process.stdout.write(`Seeded ${JSON.stringify(summary)}\n`);
} finally {
  await platform.close();
}
