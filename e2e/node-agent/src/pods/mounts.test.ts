import { describe, expect, it } from '@jest/globals';
import { containerScript, mountRequests, planMounts, shellQuote } from './mounts.js';

/** A host where only these paths exist. */
function host(...paths: string[]): (p: string) => boolean {
  const set = new Set(['/', ...paths]);
  return (p) => set.has(p);
}

describe('mount planning', () => {
  it('resolves volumes and subPath, and refuses escapes and unknown volumes', () => {
    const volumes = new Map([['cfg', '/pods/u/volumes/cfg']]);
    expect(mountRequests({ name: 'c', volumeMounts: [{ name: 'cfg', mountPath: '/etc/app/', subPath: 'a/b', readOnly: true }] }, volumes)).toEqual([
      { source: '/pods/u/volumes/cfg/a/b', target: '/etc/app', readOnly: true },
    ]);
    expect(mountRequests({ name: 'c', volumeMounts: [{ name: 'cfg', mountPath: '/x', subPath: '../../etc' }] }, volumes)).toEqual({ error: 'subPath escapes the volume: ../../etc' });
    expect(mountRequests({ name: 'c', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, volumes)).toEqual({ error: 'volume "nope" not found' });
  });

  it('overlays the deepest existing ancestor of a missing mount point, once, and makes top-level ones on the host', () => {
    const plan = planMounts(
      [
        { source: '/v/tmp', target: '/tmp', readOnly: false },
        { source: '/v/envoy', target: '/etc/envoy', readOnly: true },
        { source: '/v/secret', target: '/etc/secret-volume', readOnly: false },
        { source: '/v/sa', target: '/etc/deep/a/b', readOnly: false },
        { source: '/v/data', target: '/data/x', readOnly: false },
      ],
      host('/tmp', '/etc', '/etc/deep'),
    );
    expect(plan.overlays).toEqual(['/etc']);
    expect(plan.hostDirs).toEqual([{ path: '/data', isFile: false }]);
    expect(plan.binds.map((b) => b.target)).toEqual(['/tmp', '/etc/envoy', '/etc/secret-volume', '/data/x', '/etc/deep/a/b']);
  });

  it('creates a mount point under an earlier mount inside that volume', () => {
    const plan = planMounts(
      [
        { source: '/v/inner', target: '/srv/app/conf', readOnly: true },
        { source: '/v/app', target: '/srv/app', readOnly: false },
      ],
      host('/srv'),
    );
    expect(plan.binds.map((b) => b.target)).toEqual(['/srv/app', '/srv/app/conf']);
    expect(plan.volumeDirs).toEqual([{ path: '/v/app/conf', isFile: false }]);
    expect(plan.overlays).toEqual(['/srv']);
  });

  it('writes a script that holds sources open, mounts through /proc/self/fd, and execs', () => {
    const plan = planMounts(
      [
        { source: '/state/tmp', target: '/tmp', readOnly: false },
        { source: "/state/it's", target: '/etc/envoy', readOnly: true },
      ],
      host('/tmp', '/etc'),
    );
    const script = containerScript({ plan, scratchDir: '/state/scratch', hostname: 'gw', program: '/tmp/bin/envoy' });
    const lines = script.trim().split('\n');
    expect(lines[0]).toBe('set -e');
    expect(lines).toContain("hostname 'gw'");
    expect(lines).toContain("exec 10<'/state/tmp'");
    expect(lines).toContain(`exec 11<${shellQuote("/state/it's")}`);
    expect(lines).toContain("exec 12<'/tmp/bin/envoy'"); // covered by the /tmp mount
    expect(lines.indexOf("exec 10<'/state/tmp'")).toBeLessThan(lines.findIndex((l) => l.startsWith('mount')));
    expect(lines).toContain("mount --no-canonicalize --bind /proc/self/fd/10 '/tmp'");
    expect(lines).toContain("mount --no-canonicalize -o remount,bind,ro '/etc/envoy'");
    expect(lines.some((l) => l.includes("lowerdir=/etc,upperdir=/state/scratch/0/upper,workdir=/state/scratch/0/work' '/etc'"))).toBe(true);
    expect(lines.at(-1)).toBe('exec -a "$1" /proc/self/fd/12 "${@:2}"');
    const plain = containerScript({ plan: planMounts([], host()), scratchDir: '/s', program: 'sleep' });
    expect(plain).toBe("set -e\ncd '/'\nexec \"$@\"\n");
  });
});
