/**
 * Freshness: a request's timestamp must be within the window, and its nonce
 * must not have been seen. A nonce is remembered for twice the window after
 * it arrived: a request accepted at time A carries ts ≤ A + window, so a
 * replay of it is refused by the timestamp check after A + 2·window.
 * In memory: a restart forgets seen nonces, which is why the window is short.
 */
import { REQUEST_MAX_AGE_MS } from '../../schemas/api.js';
import { PragError } from '../errors.js';

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxAgeMs = REQUEST_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  check(address: string, nonce: string, ts: number): void {
    const now = this.now();
    if (Math.abs(now - ts) > this.maxAgeMs) {
      throw new PragError(
        'request_expired',
        `request timestamp is more than ${this.maxAgeMs / 1000} s from the service clock`,
      );
    }
    this.prune(now);
    const key = `${address}/${nonce}`;
    if (this.seen.has(key))
      throw new PragError('request_replayed', 'this request was already received (replayed nonce)');
    this.seen.set(key, now);
  }

  private prune(now: number): void {
    for (const [key, arrived] of this.seen) {
      if (now - arrived <= 2 * this.maxAgeMs) break; // insertion order is arrival order
      this.seen.delete(key);
    }
  }
}
