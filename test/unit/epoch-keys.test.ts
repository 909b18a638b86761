/** Epoch keys: offered for a period, accepted for one more, then overwritten and forgotten. */
import { describe, expect, test } from 'vitest';
import { EpochKeys } from '../../src/crypto/epoch-keys.js';

describe('epoch keys', () => {
  test('a key is offered for one period, accepted for the next, then erased (its secret overwritten)', () => {
    let now = 1_000_000;
    const keys = new EpochKeys(60_000, () => now);
    const first = keys.current();
    const secret = first.secret;
    expect(keys.current()).toBe(first);
    now += 60_000;
    const second = keys.current();
    expect(second).not.toBe(first);
    expect(keys.forKid(first.kid)).toBe(first); // still accepted: a client may have fetched it just before
    now += 60_000;
    expect(keys.forKid(first.kid)).toBeUndefined();
    expect(secret.every((b) => b === 0)).toBe(true);
    expect(keys.forKid(second.kid)).toBe(second);
  });

  test('shutdown erases every key', () => {
    const keys = new EpochKeys(60_000);
    const key = keys.current();
    keys.clear();
    expect(keys.forKid(key.kid)).toBeUndefined();
    expect(key.secret.every((b) => b === 0)).toBe(true);
  });
});
