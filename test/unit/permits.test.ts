import { ed25519 } from '@noble/curves/ed25519.js';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { formatPermitName, PRAG_PERMISSION } from '../../schemas/permit.js';
import { PermitVerifier, type PermitRules } from '../../src/auth/permits.js';
import { ReplayGuard } from '../../src/auth/replay.js';
import { newSignDoc, validatePermit, Wallet, type Permission } from '../../src/auth/secretjs.js';
import { signPermit } from '../../src/client/credentials.js';
import { fixture } from '../helpers/index.js';
import { flipBits } from '../helpers/must.js';

const SERVICE = 'prag-0123456789abcdef';
/** sSCRT's contract address on secret-4: what a look-alike server would claim to be. */
const SSCRT = 'secret1k0jntykt7e4g3y88ltc60czgjuqdy4c9e8fzek';
const SNIP20_PERMISSIONS: Permission[] = ['allowance', 'balance', 'history', 'owner'];

const load = (name: string) => JSON.parse(readFileSync(fixture('permits', name), 'utf8'));
const rules = (over: Partial<PermitRules> = {}): PermitRules => ({
  chainId: 'secret-4',
  serviceId: SERVICE,
  isRevoked: () => false,
  ...over,
});
/** What the pipeline does: the permit's signature and rules, then (after the request signature) its liveness. */
const check = (verifier: PermitVerifier, permit: unknown) => {
  const identity = verifier.verify(permit);
  verifier.refuseIfDead(identity);
  return identity;
};
const verifyPermit = (permit: unknown, r: PermitRules) => check(new PermitVerifier(r), permit);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'accepted';
};
const withSignature = <P extends { signature: { signature: string } }>(p: P, mangle: (b: Buffer) => void): P => {
  const sig = Buffer.from(p.signature.signature, 'base64');
  mangle(sig);
  return { ...p, signature: { ...p.signature, signature: sig.toString('base64') } };
};

describe('SNIP-24 permits', () => {
  test('a permit binds its device, expiry and session key, and names its signer', async () => {
    const wallet = new Wallet();
    const now = Date.now();
    const { permit, sessionKey } = await signPermit(wallet, {
      chainId: 'secret-4',
      serviceId: SERVICE,
      device: 'laptop',
      now,
    });
    const identity = verifyPermit(permit, rules());
    expect(identity).toMatchObject({
      address: wallet.address,
      device: 'laptop',
      permitName: permit.params.permit_name,
    });
    expect(identity.sessionKey).toEqual(ed25519.getPublicKey(sessionKey));
    expect(identity.expiresAt).toBe((Math.floor(now / 1000) + 24 * 3600) * 1000);
  });

  test('the standard SNIP-24 sign doc, as Keplr or Leap sign it with signAmino, gives a PRAG permit', async () => {
    // Signed through secretjs' own newSignDoc (what wallets sign), not PRAG's code.
    const wallet = new Wallet();
    const name = formatPermitName({
      device: 'keplr',
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      sessionKey: ed25519.getPublicKey(ed25519.utils.randomSecretKey()),
    });
    const doc = newSignDoc('secret-4', name, [SERVICE], [PRAG_PERMISSION as Permission]);
    const { signature } = await wallet.signAmino(wallet.address, doc);
    const permit = {
      params: { permit_name: name, allowed_tokens: [SERVICE], chain_id: 'secret-4', permissions: [PRAG_PERMISSION] },
      signature: {
        pub_key: { type: 'tendermint/PubKeySecp256k1', value: signature.pub_key.value },
        signature: signature.signature,
      },
    };
    expect(verifyPermit(permit, rules()).address).toBe(wallet.address);
  });

  test('no token contract accepts a PRAG permit: secretjs finds neither the contract nor a SNIP-20 permission', async () => {
    const wallet = new Wallet();
    const { permit } = await signPermit(wallet, { chainId: 'secret-4', serviceId: SERVICE, device: 'laptop' });
    for (const permission of SNIP20_PERMISSIONS) {
      expect(validatePermit(permit, wallet.address, SSCRT, [permission], false)).toBe(false);
      // Even a contract whose address were PRAG's id would find no permission it knows.
      expect(validatePermit(permit, wallet.address, SERVICE, [permission], false)).toBe(false);
    }
    // A server claiming a contract address as its id gets nothing PRAG accepts either.
    const claimed = await signPermit(wallet, { chainId: 'secret-4', serviceId: SSCRT, device: 'laptop' });
    expect(codeOf(() => verifyPermit(claimed.permit, rules({ serviceId: SSCRT })))).toBe('permit_wrong_service');
  });

  test("the real Keplr-signed permit (secret-4) is genuine, yet refused by PRAG's rules", () => {
    const keplr = load('secretjs_keplr_secret-4_owner.json');
    expect(
      validatePermit(
        keplr,
        'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue',
        'secret1p0vgghl8rw4ukzm7geyy0f0tl29glxrtnlalue',
        ['owner'],
      ),
    ).toBe(true);
    expect(codeOf(() => verifyPermit(keplr, rules()))).toBe('permit_name_invalid');
    // Renaming it to PRAG's convention breaks its signature: the name is signed.
    const renamed = {
      ...keplr,
      params: {
        ...keplr.params,
        permit_name: formatPermitName({ device: 'x', expiresAt: 2_000_000_000, sessionKey: new Uint8Array(32) }),
        allowed_tokens: [SERVICE],
        permissions: [PRAG_PERMISSION],
      },
    };
    expect(codeOf(() => verifyPermit(renamed, rules()))).toBe('permit_signature_invalid');
  });

  test('fixture permits for other chains and permissions, and the tampered one, are refused', () => {
    const name = formatPermitName({ device: 'x', expiresAt: 2_000_000_000, sessionKey: new Uint8Array(32) });
    const renamed = (p: { params: Record<string, unknown> }) => ({ ...p, params: { ...p.params, permit_name: name } });
    const dev = renamed(load('snip20_secretdev-1_owner.json'));
    expect(codeOf(() => verifyPermit(dev, rules()))).toBe('permit_wrong_chain');
    const balance = renamed(load('snip20_blabla_balance_to_be_revoked.json'));
    expect(codeOf(() => verifyPermit(balance, rules({ chainId: 'blabla' })))).toBe('permit_wrong_service');
    const tampered = renamed(load('TAMPERED_secretjs_keplr_permissions_owner_to_balance.json'));
    expect(codeOf(() => verifyPermit(tampered, rules()))).toBe('permit_wrong_service');
  });

  test('expiry, lifetime, revocation (by name or device) are checked on every request; a tampered copy afresh', async () => {
    const wallet = new Wallet();
    let now = Date.now();
    const { permit } = await signPermit(wallet, {
      chainId: 'secret-4',
      serviceId: SERVICE,
      device: 'cache',
      lifetimeS: 60,
      now,
    });
    let revoked = false;
    const verifier = new PermitVerifier(rules({ isRevoked: () => revoked, now: () => now }));
    expect(check(verifier, permit).address).toBe(wallet.address);
    revoked = true;
    expect(codeOf(() => check(verifier, permit))).toBe('permit_revoked');
    revoked = false;
    expect(
      codeOf(() =>
        check(
          verifier,
          withSignature(permit, (b) => flipBits(b, 9)),
        ),
      ),
    ).toBe('permit_signature_invalid');
    now += 61_000;
    expect(codeOf(() => check(verifier, permit))).toBe('permit_expired');
    const long = await signPermit(wallet, {
      chainId: 'secret-4',
      serviceId: SERVICE,
      device: 'x',
      lifetimeS: 200 * 86_400,
    });
    expect(codeOf(() => verifyPermit(long.permit, rules()))).toBe('permit_name_invalid');
    const good = await signPermit(wallet, { chainId: 'secret-4', serviceId: SERVICE, device: 'phone' });
    expect(
      codeOf(() =>
        verifyPermit(good.permit, rules({ isRevoked: (a, id) => a === wallet.address && id.device === 'phone' })),
      ),
    ).toBe('permit_revoked');
  });

  test('in-test permits: wrong chain, other service, extra tokens or permissions, other signer, malformed', async () => {
    const wallet = new Wallet();
    const mallory = new Wallet();
    const { permit: good } = await signPermit(wallet, { chainId: 'secret-4', serviceId: SERVICE, device: 'phone' });
    expect(codeOf(() => verifyPermit(good, rules({ chainId: 'pulsar-3' })))).toBe('permit_wrong_chain');
    expect(codeOf(() => verifyPermit(good, rules({ serviceId: 'prag-fedcba9876543210' })))).toBe(
      'permit_wrong_service',
    );
    expect(
      codeOf(() =>
        verifyPermit(
          withSignature(good, (b) => flipBits(b, 5)),
          rules(),
        ),
      ),
    ).toBe('permit_signature_invalid');
    const { permit: stolen } = await signPermit(mallory, { chainId: 'secret-4', serviceId: SERVICE, device: 'phone' });
    // Mallory's signature under Alice's public key: the address would be Alice's, the signature is not.
    expect(
      codeOf(() =>
        verifyPermit({ ...stolen, signature: { ...stolen.signature, pub_key: good.signature.pub_key } }, rules()),
      ),
    ).toBe('permit_signature_invalid');
    const twoTokens = { ...good, params: { ...good.params, allowed_tokens: [SERVICE, SSCRT] } };
    expect(codeOf(() => verifyPermit(twoTokens, rules()))).toBe('permit_wrong_service');
    const owner = { ...good, params: { ...good.params, permissions: ['owner'] } };
    expect(codeOf(() => verifyPermit(owner, rules()))).toBe('permit_permission_missing');
    expect(codeOf(() => verifyPermit({ params: good.params }, rules()))).toBe('permit_malformed');
    expect(codeOf(() => verifyPermit({ ...good, extra: 1 }, rules()))).toBe('permit_malformed');
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
