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
    // The count is whole seconds of `date +%s` since the start, so a tick after 1.0 s may read 1
    // or 2 (the start second may have been nearly over): each tick reads at least its period
    // count, at most one more on a busy machine, and never goes back.
    const seconds = lines.map((line) => {
      const match = /^\[install-test\] go build kube: still running, (\d+)s so far$/.exec(line);
      expect(match).not.toBeNull();
      return Number(match![1]);
    });
    for (const [i, elapsed] of seconds.entries()) {
      expect(elapsed).toBeGreaterThanOrEqual(i + 1);
      expect(elapsed).toBeLessThanOrEqual(i + 2);
      if (i > 0) expect(elapsed).toBeGreaterThan(seconds[i - 1]!);
    }
  });

  it('the Go builds of every installer go through it (30 s by default)', async () => {
    const { stdout } = await bash('declare -f go_build_into; echo "${GANTRY_PROGRESS_SECONDS}"');
    expect(stdout).toContain('run_with_progress "go build');
    const { stdout: dflt } = await run('bash', ['-c', `source ${JSON.stringify(COMMON)}; declare -f run_with_progress`]);
    expect(dflt).toContain('GANTRY_PROGRESS_SECONDS:-30');
  });
});
