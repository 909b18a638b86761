/** Which bucket a remote address spends from (src/server/pipeline/client-rate-limit.ts). */
import { expect, test } from 'vitest';
import { clientKey } from '../../src/server/pipeline/client-rate-limit.js';

test('IPv4 is its own key; an IPv4-mapped IPv6 address counts as that IPv4 address', () => {
  expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  expect(clientKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
});

test('IPv6 is keyed by its /64, however it is written', () => {
  const key = '2001:db8:0:1::/64';
  for (const address of [
    '2001:db8:0:1::1',
    '2001:0db8:0000:0001:ffff:ffff:ffff:ffff',
    '2001:db8::1:0:0:0:2',
    '2001:db8:0:1::1%eth0',
  ])
    expect([address, clientKey(address)]).toEqual([address, key]);
  expect(clientKey('2001:db8:0:2::1')).not.toBe(key);
  expect(clientKey('::1')).toBe('0:0:0:0::/64');
});
