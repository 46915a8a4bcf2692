import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/** Compares tokens in constant time: both sides are hashed to digests of equal length first. */
export function tokenChecker(token: string): (candidate: string) => boolean {
  const want = createHash("sha256").update(token, "utf8").digest();
  return (candidate) => timingSafeEqual(createHash("sha256").update(candidate, "utf8").digest(), want);
}

export interface AuthThrottleOptions {
  /** Delay before the reply to the first failure from an address; each further one doubles it. */
  baseDelayMs: number;
  /** The delay never exceeds this. */
  maxDelayMs: number;
  /** An address's failures are forgotten this long after its last one. */
  forgetAfterMs: number;
  /** Most addresses remembered; beyond it the least recently failed one is forgotten. */
  maxAddresses: number;
}

/**
 * Slows repeated authentication failures from one peer: the n-th failure within `forgetAfterMs`
 * of the previous one waits min(base x 2^(n-1), max) ms before its reply and close. IPv6 peers
 * are counted by their /64 (one host usually holds a whole /64). The map is bounded; a success
 * from an address clears its count.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();

  constructor(private readonly options: AuthThrottleOptions, private readonly now: () => number = Date.now) {}

  /** Records a failure from `address` and returns how long to wait before answering it. */
  fail(address: string | undefined): number {
    const key = peerKey(address);
    const t = this.now();
    const seen = this.failures.get(key);
    const count = seen !== undefined && t - seen.last <= this.options.forgetAfterMs ? seen.count + 1 : 1;
    this.failures.delete(key); // re-inserted last: Map order is least recently failed first
    this.failures.set(key, { count, last: t });
    while (this.failures.size > this.options.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
    return Math.min(this.options.baseDelayMs * 2 ** Math.min(count - 1, 40), this.options.maxDelayMs);
  }

  succeed(address: string | undefined): void {
    this.failures.delete(peerKey(address));
  }

  /** Recent failures counted for `address` (for stats and tests). */
  failuresOf(address: string | undefined): number {
    const seen = this.failures.get(peerKey(address));
    return seen !== undefined && this.now() - seen.last <= this.options.forgetAfterMs ? seen.count : 0;
  }

  get addressesTracked(): number {
    return this.failures.size;
  }
}

/** The key failures are counted under: an IPv4 address, or the /64 prefix of an IPv6 one. */
export function peerKey(address: string | undefined): string {
  if (address === undefined) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head, tail] = address.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}
