// hack/lib/common.sh run_with_progress: what the installers (the 5–20 minute Go build of
// Kubernetes in hack/install-kube.sh) print while a silent step runs, so nobody (and no CI) takes
// it for a hang. Run through bash with a 1 s period instead of 30 s.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const COMMON = fileURLToPath(new URL('../../../hack/lib/common.sh', import.meta.url));

async function bash(script: string): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-c', `set -euo pipefail; source ${JSON.stringify(COMMON)}; LOG_PREFIX=install-test; ${script}`], {
    env: { ...process.env, GANTRY_PROGRESS_SECONDS: '1' },
  });
}

describe('run_with_progress (hack/lib/common.sh)', () => {
  it('logs to stderr every period while the command runs, and keeps its stdout and exit status', async () => {
    const { stdout, stderr } = await bash('run_with_progress "go build kube" bash -c "sleep 3.4; echo built"; echo "rc=$?"; run_with_progress quick true; run_with_progress failing bash -c "exit 7" || echo "failed rc=$?"');
    expect(stdout).toBe('built\nrc=0\nfailed rc=7\n');
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(3);
    for (const [i, line] of lines.entries()) expect(line).toBe(`[install-test] go build kube: still running, ${i + 1}s so far`);
  });

  it('the Go builds of every installer go through it (30 s by default)', async () => {
    const { stdout } = await bash('declare -f go_build_into; echo "${GANTRY_PROGRESS_SECONDS}"');
    expect(stdout).toContain('run_with_progress "go build');
    const { stdout: dflt } = await run('bash', ['-c', `source ${JSON.stringify(COMMON)}; declare -f run_with_progress`]);
    expect(dflt).toContain('GANTRY_PROGRESS_SECONDS:-30');
  });
});
