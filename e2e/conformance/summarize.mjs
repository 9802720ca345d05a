// Prints the summary of a Gateway API conformance report (what run.sh shows at the end):
// per profile, core and extended results with passed/failed/skipped counts and the failed and
// skipped tests by name.
//
// Usage: node e2e/conformance/summarize.mjs REPORT.yaml
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const file = process.argv[2];
if (!file) {
  console.error('usage: summarize.mjs REPORT.yaml');
  process.exit(2);
}
const report = parse(readFileSync(file, 'utf8'));
const impl = report.implementation ?? {};
console.log(`conformance report ${file}`);
console.log(`  ${impl.project ?? '?'} ${impl.version ?? '?'} | Gateway API ${report.gatewayAPIVersion} (${report.gatewayAPIChannel}) | mode ${report.mode} | ${report.date}`);

function line(level, status) {
  const s = status.statistics ?? {};
  const counts = `passed ${s.Passed ?? 0}, failed ${s.Failed ?? 0}, skipped ${s.Skipped ?? 0}`;
  console.log(`  ${level.padEnd(9)} ${String(status.result).padEnd(8)} ${counts}`);
  for (const t of status.failedTests ?? []) console.log(`              failed:  ${t}`);
  // A single-test run skips everything else: name the skipped ones only when they are few.
  const skipped = status.skippedTests ?? [];
  if (skipped.length <= 10) for (const t of skipped) console.log(`              skipped: ${t}`);
}

for (const profile of report.profiles ?? []) {
  console.log(`profile ${profile.name}`);
  line('core', profile.core);
  if (profile.extended) {
    line('extended', profile.extended);
    const supported = profile.extended.supportedFeatures ?? [];
    const unsupported = profile.extended.unsupportedFeatures ?? [];
    console.log(`            features: ${supported.length} claimed, ${unsupported.length} not claimed${unsupported.length ? ` (${unsupported.join(', ')})` : ''}`);
  }
}
for (const t of report.succeededProvisionalTests ?? []) console.log(`provisional test passed: ${t}`);
