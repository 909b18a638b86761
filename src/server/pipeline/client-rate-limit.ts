/**
 * Per-client token buckets, keyed by the connection's remote address: what
 * runs before a permit is verified (a fresh attestation quote, opening an
 * envelope, a secp256k1 signature check) costs the service CPU that no
 * verified address has paid for, so it is bounded per network client first.
 * The address is the socket's peer, never a forwarding header (a client
 * could write any). An IPv6 client is keyed by its /64, which one host
 * usually holds whole; an IPv4-mapped address counts as its IPv4 address.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { RateLimiter } from '../limits.js';

/** The bucket a remote address spends from. */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return mapped;
  if (!address.includes(':')) return address;
  const [head = '', tail] = (address.split('%')[0] ?? '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * The remote address of a request served by @hono/node-server; undefined for
 * one handed to `app.fetch` in process (no socket: not a network client).
 */
export function remoteAddress(c: Context): string | undefined {
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return undefined;
  // A socket that already closed has no address left; such requests share one bucket.
  return getConnInfo(c).remote.address ?? 'unknown';
}

export const limitClient =
  (limiter: RateLimiter): MiddlewareHandler =>
  async (c, next) => {
    const address = remoteAddress(c);
    if (address !== undefined) limiter.take(clientKey(address));
    await next();
  };
