// The release version (kept equal to package.json's by version.test.ts): `gantry version`, the
// gantry_build_info metric.
export const GANTRY_VERSION = '0.1.0';
