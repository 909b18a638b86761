import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PermitVerifier, type PermitRules } from '../src/auth/permits.js';
import { ReplayGuard } from '../src/auth/replay.js';
import { validatePermit, Wallet } from '../src/auth/secretjs.js';
import { signPermit } from '../src/client/identity.js';
import { fixture } from './helpers/index.js';

const load = (name: string) => JSON.parse(readFileSync(fixture('permits', name), 'utf8'));
const rules = (over: Partial<PermitRules> = {}): PermitRules => ({
  chainId: 'secret-4',
  serviceId: 'prag-test-service',
  isRevoked: () => false,
  ...over,
});
const verifyPermit = (permit: unknown, r: PermitRules) => new PermitVerifier(r).verify(permit);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'accepted';
};
/** A fixture permit re-named to PRAG's convention is no longer signed: the name is inside the sign doc. */
const renamed = (p: { params: Record<string, unknown> }) => ({
  ...p,
  params: { ...p.params, permit_name: 'prag-default' },
});

describe('SNIP-24 permits', () => {
  test('permits signed in-test with a secretjs wallet verify and name their signer', async () => {
    const wallet = new Wallet();
    const permit = await signPermit(wallet, {
      chainId: 'secret-4',
      serviceId: 'prag-test-service',
      name: 'prag-laptop',
    });
    expect(verifyPermit(permit, rules())).toEqual({ address: wallet.address, permitName: 'prag-laptop' });
  });

  test("the real Keplr-signed permit (secret-4) is refused by PRAG's rules, each with its own code", () => {
    const keplr = load('secretjs_keplr_secret-4_owner.json');
    // Its signature is genuine under the secretjs check PRAG uses…
    expect(
      validatePermit(
        keplr,
        'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue',
        'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue',
        ['owner'],
      ),
    ).toBe(true);
    // …but it is not a PRAG permit.
    expect(
      codeOf(() => verifyPermit(keplr, rules({ serviceId: 'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue' }))),
    ).toBe('permit_name_invalid');
    // Renaming it to pass the convention breaks its signature: the name is signed.
    expect(
      codeOf(() => verifyPermit(renamed(keplr), rules({ serviceId: 'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue' }))),
    ).toBe('permit_signature_invalid');
    expect(codeOf(() => verifyPermit(renamed(keplr), rules()))).toBe('permit_wrong_service');
  });

  test('fixture permits for other chains and the tampered one are refused', () => {
    const dev = renamed(load('snip20_secretdev-1_owner.json'));
    expect(codeOf(() => verifyPermit(dev, rules({ serviceId: 'cosmos2contract' })))).toBe('permit_wrong_chain');
    expect(codeOf(() => verifyPermit(dev, rules({ serviceId: 'cosmos2contract', chainId: 'secretdev-1' })))).toBe(
      'permit_signature_invalid',
    );
    const balance = renamed(load('snip20_blabla_balance_to_be_revoked.json'));
    expect(codeOf(() => verifyPermit(balance, rules({ serviceId: 'cosmos2contract', chainId: 'blabla' })))).toBe(
      'permit_permission_missing',
    );
    const tampered = renamed(load('TAMPERED_secretjs_keplr_permissions_owner_to_balance.json'));
    expect(
      codeOf(() => verifyPermit(tampered, rules({ serviceId: 'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue' }))),
    ).toBe('permit_permission_missing');
  });

  test('a remembered signature is still subject to revocation, and a tampered copy is verified afresh', async () => {
    const wallet = new Wallet();
    const permit = await signPermit(wallet, {
      chainId: 'secret-4',
      serviceId: 'prag-test-service',
      name: 'prag-cache',
    });
    let revoked = false;
    const verifier = new PermitVerifier(rules({ isRevoked: () => revoked }));
    expect(verifier.verify(permit).address).toBe(wallet.address);
    revoked = true;
    expect(codeOf(() => verifier.verify(permit))).toBe('permit_revoked');
    revoked = false;
    const sig = Buffer.from(permit.signature.signature, 'base64');
    sig[9]! ^= 1;
    expect(
      codeOf(() =>
        verifier.verify({ ...permit, signature: { ...permit.signature, signature: sig.toString('base64') } }),
      ),
    ).toBe('permit_signature_invalid');
  });

  test('in-test permits: wrong chain, other service, bad signature, other signer, revoked, malformed', async () => {
    const wallet = new Wallet();
    const mallory = new Wallet();
    const good = await signPermit(wallet, { chainId: 'secret-4', serviceId: 'prag-test-service', name: 'prag-phone' });
    expect(codeOf(() => verifyPermit(good, rules({ chainId: 'pulsar-3' })))).toBe('permit_wrong_chain');
    expect(codeOf(() => verifyPermit(good, rules({ serviceId: 'prag-other' })))).toBe('permit_wrong_service');
    const sig = Buffer.from(good.signature.signature, 'base64');
    sig[5]! ^= 1;
    expect(
      codeOf(() =>
        verifyPermit({ ...good, signature: { ...good.signature, signature: sig.toString('base64') } }, rules()),
      ),
    ).toBe('permit_signature_invalid');
    const stolenKey = await signPermit(mallory, {
      chainId: 'secret-4',
      serviceId: 'prag-test-service',
      name: 'prag-phone',
    });
    // Mallory's signature under Alice's public key: the address would be Alice's, the signature is not.
    expect(
      codeOf(() =>
        verifyPermit({ ...stolenKey, signature: { ...stolenKey.signature, pub_key: good.signature.pub_key } }, rules()),
      ),
    ).toBe('permit_signature_invalid');
    expect(
      codeOf(() => verifyPermit(good, rules({ isRevoked: (a, n) => a === wallet.address && n === 'prag-phone' }))),
    ).toBe('permit_revoked');
    expect(codeOf(() => verifyPermit({ params: good.params }, rules()))).toBe('permit_malformed');
    expect(codeOf(() => verifyPermit({ ...good, extra: 1 }, rules()))).toBe('permit_malformed');
    const wrongName = await signPermit(wallet, { chainId: 'secret-4', serviceId: 'prag-test-service', name: 'laptop' });
    expect(codeOf(() => verifyPermit(wrongName, rules()))).toBe('permit_name_invalid');
  });

  test('replay guard: a nonce is accepted once; stale and future timestamps are refused', () => {
    let now = 1_000_000_000;
    const guard = new ReplayGuard(300_000, () => now);
    guard.check('a', 'n1', now);
    expect(codeOf(() => guard.check('a', 'n1', now))).toBe('request_replayed');
    guard.check('b', 'n1', now); // nonces are per address
    expect(codeOf(() => guard.check('a', 'n2', now - 300_001))).toBe('request_expired');
    expect(codeOf(() => guard.check('a', 'n3', now + 300_001))).toBe('request_expired');
    now += 250_000;
    expect(codeOf(() => guard.check('a', 'n1', now - 250_000))).toBe('request_replayed');
  });
});
