// The `gantry` command as a subprocess: help per command, version, and a bad --log-level refused
// (before, winston silently dropped every log line).
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GANTRY_VERSION } from '../version.js';
import { COMMANDS } from './commands.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

export async function gantry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gantry CLI', () => {
  it.each(COMMANDS.map((c) => c.name))('%s --help prints that command\'s usage, every flag and the exit codes, and exits 0', async (command) => {
    const spec = COMMANDS.find((c) => c.name === command)!;
    for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const r = await gantry(...args);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: gantry ${command}( |$)`));
      for (const [name, o] of Object.entries(spec.options)) {
        if (o.hidden === true) expect(r.stdout).not.toContain(`--${name} `);
        else expect(r.stdout).toContain(`--${name}`);
      }
      expect(r.stdout).toContain('Exit codes:');
    }
  });

  it('each command\'s help lists only its own flags (controller flags are not in translate --help)', async () => {
    const r = await gantry('translate', '--help');
    expect(r.stdout).not.toContain('--debug-address');
    expect(r.stdout).not.toContain('--kubeconfig');
  });

  it('gantry alone prints the commands and exits 2; an unknown command or flag exits 2 pointing at the help', async () => {
    const bare = await gantry();
    expect(bare.code).toBe(2);
    for (const c of COMMANDS) expect(bare.stdout).toContain(`  ${c.name} `);
    const unknown = await gantry('frob');
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'gantry: unknown command "frob" (commands: controller, discovery-cleanup, translate, standalone, version, completion)\n`gantry --help` lists the commands.\n' });
    const flag = await gantry('translate', '--frob');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^gantry: Unknown option '--frob'.*\n`gantry translate --help` lists its flags.\n$/);
  });

  it('version -o json|yaml prints structured output', async () => {
    const json = await gantry('version', '-o', 'json');
    expect(JSON.parse(json.stdout)).toEqual({ gantry: GANTRY_VERSION, node: process.version });
    const yaml = await gantry('version', '--output', 'yaml');
    expect(yaml.stdout).toBe(`gantry: ${GANTRY_VERSION}\nnode: ${process.version}\n`);
    const bad = await gantry('version', '-o', 'toml');
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('gantry: --output: "toml" is not one of text, json, yaml');
  });

  it('completion bash: a script bash accepts, completing commands, flags and flag values', async () => {
    const r = await gantry('completion', 'bash');
    expect(r.code).toBe(0);
    const complete = async (...words: string[]) => {
      const script = `${r.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _gantry; echo "\${COMPREPLY[*]}"`;
      const { stdout } = await run('bash', ['-c', script]);
      return stdout.trim();
    };
    expect(await complete('gantry', 'tr')).toBe('translate');
    expect(await complete('gantry', 'translate', '-o', '')).toBe('xds status bootstrap ir json yaml');
    expect(await complete('gantry', 'controller', '--log-level', 'd')).toBe('debug');
    expect((await complete('gantry', 'standalone', '--')).split(' ')).toEqual(expect.arrayContaining(['--dir', '--envoy', '--xds-port', '--help']));
    expect(await complete('gantry', 'completion', '')).toBe('bash zsh --help');
  });

  it('completion zsh: a script zsh accepts (when zsh is installed); an unknown shell exits 2', async () => {
    const r = await gantry('completion', 'zsh');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('#compdef gantry');
    const zsh = await run('zsh', ['--version']).then(() => true, () => false);
    if (zsh) {
      const dir = await mkdtemp(join(tmpdir(), 'gantry-zsh-'));
      await writeFile(join(dir, '_gantry'), r.stdout);
      await run('zsh', ['-n', join(dir, '_gantry')]);
      // Loaded by compinit from fpath: defines the completion function for `gantry`.
      const { stdout } = await run('zsh', ['-fc', `fpath=(${dir} $fpath); autoload -Uz compinit; compinit -u -d ${dir}/.zcompdump; print -r -- \${_comps[gantry]}`]);
      expect(stdout.trim()).toBe('_gantry');
    }
    const fish = await gantry('completion', 'fish');
    expect(fish.code).toBe(2);
    expect(fish.stderr.split('\n')[0]).toBe('gantry: completion: "fish" is not a supported shell (bash, zsh)');
  });

  it('a bad GANTRY_LOG_LEVEL does not silence the logs: info, with a warning', async () => {
    const code = `const { logger } = await import(${JSON.stringify(new URL('../log.js', import.meta.url).href)}); logger('t').info('still here');`;
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, GANTRY_LOG_LEVEL: 'loud' } });
    expect(stderr).toContain('GANTRY_LOG_LEVEL \\"loud\\" is not a log level');
    expect(stderr).toContain('still here');
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
