// Names of discovered Upstreams: `<namespace>-<service>-<port>`, Gloo's convention, which users
// and scripts already expect. Namespace and Service names are DNS labels, so the name is one too,
// except for its length: past 63 characters it is cut, and a short hash of what it names keeps
// it unique. Two Services whose names run together (`a-b`/`c` and `a`/`b-c`) get the same name;
// the one that sorts first keeps it, the other takes its alternate (the hashed form).
import { createHash } from 'node:crypto';

const MAX = 63;
const HASH_LENGTH = 8;

/** `namespace/service/port`: what a discovered Upstream stands for. */
export function sourceKey(namespace: string, service: string, port: number): string {
  return `${namespace}/${service}/${port}`;
}

function hashed(base: string, key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
  return `${base.slice(0, MAX - HASH_LENGTH - 1).replace(/-+$/, '')}-${hash}`;
}

/** The name discovery gives the Upstream of a Service port. */
export function discoveredName(namespace: string, service: string, port: number): string {
  const base = `${namespace}-${service}-${port}`.toLowerCase();
  return base.length <= MAX ? base : hashed(base, sourceKey(namespace, service, port));
}

/** The name it takes when another Service port already has that name. */
export function alternateName(namespace: string, service: string, port: number): string {
  return hashed(`${namespace}-${service}-${port}`.toLowerCase(), sourceKey(namespace, service, port));
}
