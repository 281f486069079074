'use strict';
// serverless.yml reads the typed stack model (accounts/stack/serverless.ts) through this file: the
// Serverless Framework loads variable files with require(), so it imports the TypeScript with tsx.
// `plugins` is resolved before the plugins load, with the CLI options only.
const variables = async ({ options }) =>
  (await (await import('tsx/esm/api')).tsImport('../stack/serverless.ts', __filename)).variablesFor(options);

module.exports = { plugins: async (input) => (await variables(input)).plugins, hub: variables };
