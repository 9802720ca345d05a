// The `yaml` package, loaded on first use: its document model serves only files with a problem
// and the YAML outputs of `gantry translate`, and loading it costs ~30 ms of every start otherwise.
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');

const require = createRequire(import.meta.url);
let loaded: YamlModule | undefined;

export function yamlModule(): YamlModule {
  return (loaded ??= require('yaml') as YamlModule);
}
