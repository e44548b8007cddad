/** Applies every subgraph's migrations and reference data (server mode's `pnpm db:migrate`). */
import { createLogger, loadSettingsOrExit, prepareDatabase } from '@cmp/platform';
import { openSubgraphDatabase } from './platform.ts';
import { ALL_SUBGRAPHS } from './subgraphs.ts';

const settings = loadSettingsOrExit();
const logger = createLogger({ name: 'migrate', level: settings.logLevel });
const only = process.argv.slice(2);

for (const definition of ALL_SUBGRAPHS.filter((d) => only.length === 0 || only.includes(d.name))) {
  const database = await openSubgraphDatabase(settings, definition);
  try {
    await prepareDatabase(definition, database);
    logger.info({ subgraph: definition.name, kind: database.kind }, 'migrated');
  } finally {
    await database.close();
  }
}
