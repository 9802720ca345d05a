// The `gantry` command as a subprocess: help per command, version, and a bad --log-level refused
// (before, winston silently dropped every log line).
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GANTRY_VERSION } from '../version.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

async function gantry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gantry CLI', () => {
  it.each(['translate', 'standalone', 'controller', 'discovery-cleanup'])('%s --help prints the usage and exits 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await gantry(command, flag);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toContain(`gantry ${command}`);
      expect(r.stdout).toContain('--debug-address');
    }
  });

  it('version prints the version', async () => {
    for (const args of [['version'], ['--version']]) {
      const r = await gantry(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`gantry ${GANTRY_VERSION} (Node.js ${process.version})\n`);
    }
  });

  it.each([
    ['controller', '--kubeconfig', '/nonexistent'],
    ['standalone', '--dir', '/nonexistent'],
    ['discovery-cleanup'],
  ])('%s with an invalid --log-level: exit 2, says which levels exist, no stack trace', async (...args) => {
    const r = await gantry(...args, '--log-level', 'loud');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gantry: --log-level: "loud" is not a log level (error, warn, info, http, verbose, debug, silly)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('controller --kubeconfig /nonexistent: exit 2 with the reason, no stack trace', async () => {
    const r = await gantry('controller', '--kubeconfig', '/nonexistent', '--xds-advertise', '127.0.0.1:18000');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("gantry: --kubeconfig: cannot load /nonexistent: ENOENT: no such file or directory, open '/nonexistent'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['--remote-cluster', 'b'], '--remote-cluster: "b" is not NAME=KUBECONFIG'],
    [['--remote-cluster', 'local=/x'], '--remote-cluster: "local" names the controller\'s own cluster'],
    [['--remote-cluster', 'B_1=/x'], '--remote-cluster: "B_1" is not a DNS label'],
    [['--remote-cluster', 'b=/nonexistent'], '--remote-cluster b: cannot load /nonexistent'],
    [['--remote-cluster-stale-after', 'soon'], '--remote-cluster-stale-after: "soon" is not a duration'],
  ])('controller %j: exit 2 with the reason', async (flags, message) => {
    const r = await gantry('controller', '--kubeconfig', '/nonexistent', '--no-deploy', ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(message);
  });

  it('standalone refuses a missing --dir and a missing Envoy at once: exit 2, no stack trace', async () => {
    const noDir = await gantry('standalone', '--dir', '/nonexistent', '--envoy', process.execPath);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr.split('\n')[0]).toBe('gantry: --dir: /nonexistent is not a directory');
    const noEnvoy = await gantry('standalone', '--envoy', '/nonexistent/envoy');
    expect(noEnvoy.code).toBe(2);
    expect(noEnvoy.stderr.split('\n')[0]).toBe('gantry: no Envoy executable "/nonexistent/envoy": pass --envoy PATH or set GANTRY_ENVOY (bash hack/install-envoy.sh installs one)');
    for (const r of [noDir, noEnvoy]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
