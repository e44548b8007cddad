/**
 * Composes the five subgraph SDLs into the supergraph the gateway serves (schema/supergraph.graphql) and the
 * client-facing API schema that codegen types client operations against (schema/api-schema.graphql).
 * Both are committed; CI re-runs this and fails if either changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { printSchema, parse } from 'graphql';
import { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES } from '@cmp/platform';

const root = fileURLToPath(new URL('..', import.meta.url));

export function composeSupergraph() {
  const services = SUBGRAPH_NAMES.map((name) => ({
    name,
    // The embedded defaults; deployments override each URL in the gateway's settings.
    url: `http://localhost:${DEFAULT_SUBGRAPH_PORTS[name]}/graphql`,
    typeDefs: parse(readFileSync(`${root}subgraphs/${name}/src/schema.graphql`, 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return {
    supergraphSdl: result.supergraphSdl,
    apiSchema: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
    hints: result.hints.map((h) => h.toString()),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { supergraphSdl, apiSchema, hints } = composeSupergraph();
    writeFileSync(`${root}schema/supergraph.graphql`, `${supergraphSdl.trimEnd()}\n`);
    writeFileSync(`${root}schema/api-schema.graphql`, `${apiSchema.trimEnd()}\n`);
    for (const hint of hints) process.stderr.write(`hint: ${hint}\n`);
    process.stdout.write('Composed schema/supergraph.graphql and schema/api-schema.graphql\n');
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
