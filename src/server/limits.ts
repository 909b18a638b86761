/**
 * Request rate limits: a token bucket per key, refilled at `perMinute` up to
 * `burst`. The service keeps two: one per address that signed a request
 * (checked right after its permit verifies) and one per remote network
 * address (checked first). The table is bounded: when full, the buckets that
 * are back to full (idle keys) are dropped first.
 */
import { PragError } from '../errors.js';

export interface RateLimitOptions {
  perMinute: number;
  burst: number;
  maxAddresses?: number;
  now?: () => number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.maxAddresses = options.maxAddresses ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes one token for `address`, or throws 429 rate_limited with the seconds until one is back. */
  take(address: string): void {
    const now = this.now();
    const rate = this.options.perMinute / 60_000;
    const bucket = this.buckets.get(address) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(address, bucket);
      throw new PragError('rate_limited', 'too many requests', {
        retryAfterS: Math.ceil((1 - bucket.tokens) / rate / 1000),
      });
    }
    bucket.tokens -= 1;
    this.buckets.delete(address); // re-insert: Map order is least recently used first
    this.buckets.set(address, bucket);
    if (this.buckets.size > this.maxAddresses) this.evict(now, rate);
  }

  private evict(now: number, rate: number): void {
    for (const [address, b] of this.buckets) {
      if (this.buckets.size <= this.maxAddresses * 0.9) return;
      if (b.tokens + (now - b.at) * rate >= this.options.burst) this.buckets.delete(address);
    }
    // Everyone is active: drop the least recently seen.
    for (const address of this.buckets.keys()) {
      if (this.buckets.size <= this.maxAddresses * 0.9) return;
      this.buckets.delete(address);
    }
  }
}
