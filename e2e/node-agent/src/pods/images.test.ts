import { describe, expect, it } from '@jest/globals';
import { corednsStandInImage, customImage, echoBasicImage, envoyImage, gantryControllerImage, PLACEHOLDER_ARGV, resolveCommand } from './images.js';

const binaries = [echoBasicImage('/opt/echo-basic'), envoyImage('/opt/envoy'), customImage('gantry-controller', '/opt/gantry')];

describe('image resolution', () => {
  it('runs the conformance echo backend for its images', () => {
    for (const image of ['registry.k8s.io/gateway-api/echo-basic:v1.5.1', 'registry.k8s.io/gateway-api/echo-basic:v1.6.0-dev.3', 'gcr.io/k8s-staging-gateway-api/echo-basic@sha256:abc']) {
      expect(resolveCommand({ name: 'c', image }, binaries)).toMatchObject({ kind: 'binary', argv: ['/opt/echo-basic'] });
    }
  });

  it('maps the Envoy entrypoint, keeps args, and uses the image CMD without either', () => {
    const deployer = { name: 'envoy', image: 'envoyproxy/envoy:v1.39.3', command: ['envoy'], args: ['-c', '/etc/envoy/envoy.json', '--service-node', '$(POD_NAME)'] };
    expect(resolveCommand(deployer, binaries).argv).toEqual(['/opt/envoy', '-c', '/etc/envoy/envoy.json', '--service-node', '$(POD_NAME)']);
    expect(resolveCommand({ name: 'e', image: 'docker.io/envoyproxy/envoy-distroless:v1.39.3' }, binaries).argv).toEqual(['/opt/envoy', '-c', '/etc/envoy/envoy.yaml']);
    expect(resolveCommand({ name: 'e', image: 'envoyproxy/envoy:v1', command: ['/bin/sh', '-c', 'x'] }, binaries).argv).toEqual(['/bin/sh', '-c', 'x']);
    expect(resolveCommand({ name: 'e', image: 'envoyproxy/envoy:v1', args: ['--version'] }, binaries).argv).toEqual(['/opt/envoy', '--version']);
  });

  it("runs Gantry's controller image, any tag, as the working tree's build with the chart's args", () => {
    const gantry = [gantryControllerImage('/repo/main.js', '/usr/bin/node'), ...binaries];
    for (const image of ['gantry:0.1.0', 'gantry', 'ghcr.io/example/gantry:dev', 'registry.local:5000/gantry@sha256:abc']) {
      expect(resolveCommand({ name: 'controller', image, args: ['--log-level=info'] }, gantry)).toMatchObject({ kind: 'binary', argv: ['/usr/bin/node', '/repo/main.js', 'controller', '--log-level=info'] });
    }
    expect(resolveCommand({ name: 'c', image: 'gantry:0.1.0' }, gantry).argv).toEqual(['/usr/bin/node', '/repo/main.js', 'controller']);
    // The image's WORKDIR is the working tree: the chart's hook Job names main.js relative to it.
    const tree = [gantryControllerImage('/work/tree/packages/gatewayclass-controller/dist/cli/main.js', '/usr/bin/node')];
    const job = { name: 'cleanup', image: 'gantry:0.1.0', command: ['node', 'packages/gatewayclass-controller/dist/cli/main.js', 'discovery-cleanup'], args: ['--namespace=gantry-system'] };
    expect(resolveCommand(job, tree)).toEqual({
      kind: 'binary',
      argv: ['/usr/bin/node', 'packages/gatewayclass-controller/dist/cli/main.js', 'discovery-cleanup', '--namespace=gantry-system'],
      imageID: 'gantry-local:///usr/bin/node',
      workingDir: '/work/tree',
    });
    // Not Gantry: names that merely contain it.
    expect(resolveCommand({ name: 'c', image: 'example.com/gantry-operator:1' }, gantry).kind).toBe('placeholder');
    expect(resolveCommand({ name: 'c', image: 'mygantry:1' }, gantry).kind).toBe('placeholder');
  });

  it('runs general-purpose base images with host tools, everything else as a placeholder', () => {
    expect(resolveCommand({ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', 'echo hi'] }, binaries)).toMatchObject({ kind: 'host', argv: ['sh', '-c', 'echo hi'] });
    expect(resolveCommand({ name: 'c', image: 'docker.io/library/alpine', args: ['sleep', '5'] }, binaries).argv).toEqual(['sleep', '5']);
    expect(resolveCommand({ name: 'c', image: 'registry.k8s.io/coredns/coredns:v1.12.2', args: ['-conf', '/root/Corefile'] }, binaries)).toMatchObject({ kind: 'placeholder', argv: PLACEHOLDER_ARGV });
    expect(resolveCommand({ name: 'c', image: 'example.com/busybox-extended:1' }, binaries).kind).toBe('placeholder');
    expect(resolveCommand({ name: 'c', image: 'ghcr.io/x/gantry-controller:dev', args: ['--xds-port=18000'] }, binaries).argv).toEqual(['/opt/gantry', '--xds-port=18000']);
  });

  it('runs the CoreDNS image as the DNS stand-in, CoreDNS flags after the script', () => {
    const dns = [corednsStandInImage('/agent/dns-echo.js', '/usr/bin/node')];
    const r = resolveCommand({ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.12.2', args: ['-conf', '/root/Corefile'] }, dns);
    expect(r.argv).toEqual(['/usr/bin/node', '/agent/dns-echo.js', '-conf', '/root/Corefile']);
  });
});
