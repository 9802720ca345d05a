// Loads every generated file (each registers its messages in the type registry). CommonJS on
// purpose: a plain `require` of a constant path is synchronous (an ES module, Node.js ≥ 20.19 /
// 22.12), and a bundler sees it (hack/bundle-cli.mjs puts the generated files in the one-file
// `gantry translate`, still run only on the registry's first miss), where an ES module could only
// `createRequire(import.meta.url)`, which no bundler follows.
function loadAllGenerated(): void {
  require('./generated/all.js');
}
export = loadAllGenerated;
