// IPv4 ranges and address allocation. The agent hands out Pod addresses from one range and
// LoadBalancer addresses from another; both exist only on the bridge and in the namespaces it
// creates.

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
  readonly size: number;
  readonly text: string;
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const [ip, prefixText] = text.split('/');
  const base = ip === undefined ? undefined : ipToNumber(ip);
  const prefix = Number(prefixText);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new Error(`not an IPv4 CIDR between /8 and /30: ${text}`);
  }
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`${text} is not a network address (host bits set)`);
  return { base, prefix, size, text };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const n = ipToNumber(ip);
  return n !== undefined && n >= cidr.base && n < cidr.base + cidr.size;
}

/**
 * Hands out the addresses of a range, skipping the network and broadcast addresses and any
 * reserved ones. Allocation continues after the last address handed out, so a released address
 * is reused only after the range has gone round: stale EndpointSlices or proxies still pointing at
 * it then reach nothing rather than a new, unrelated Pod.
 */
export class Ipam {
  private readonly used = new Map<number, string>();
  private next: number;

  constructor(
    readonly cidr: Cidr,
    private readonly reserved: ReadonlySet<string> = new Set(),
  ) {
    this.next = cidr.base + 1;
  }

  /** An address for `owner`, or undefined when the range is full. */
  allocate(owner: string): string | undefined {
    const first = this.cidr.base + 1;
    const last = this.cidr.base + this.cidr.size - 2;
    for (let i = 0; i <= last - first; i++) {
      const candidate = first + ((this.next - first + i) % (last - first + 1));
      const ip = numberToIp(candidate);
      if (this.used.has(candidate) || this.reserved.has(ip)) continue;
      this.used.set(candidate, owner);
      this.next = candidate + 1 > last ? first : candidate + 1;
      return ip;
    }
    return undefined;
  }

  /** Claims a specific address (one already published); false when taken or out of range. */
  claim(ip: string, owner: string): boolean {
    const n = ipToNumber(ip);
    if (n === undefined || !cidrContains(this.cidr, ip) || this.reserved.has(ip)) return false;
    if (n === this.cidr.base || n === this.cidr.base + this.cidr.size - 1) return false;
    const holder = this.used.get(n);
    if (holder !== undefined) return holder === owner;
    this.used.set(n, owner);
    return true;
  }

  release(ip: string): void {
    const n = ipToNumber(ip);
    if (n !== undefined) this.used.delete(n);
  }

  ownerOf(ip: string): string | undefined {
    const n = ipToNumber(ip);
    return n === undefined ? undefined : this.used.get(n);
  }
}

/** The first usable address of a range: the bridge's (gateway) address. */
export function gatewayOf(cidr: Cidr): string {
  return numberToIp(cidr.base + 1);
}
