import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readFileSync } from 'node:fs';
import { describe, expect, test, beforeAll, afterAll } from 'vitest';
import type { Collateral } from '@phala/dcap-qvl';
import { AttestationPolicy, type Evidence } from '../../schemas/attestation.js';
import { collateralSource } from '../../src/attest/collateral.js';
import {
  checkSecretVmBinding,
  checkSecretVmWorkload,
  matchMeasurements,
  verifyAttestation,
  type VerifyOptions,
} from '../../src/attest/attestation.js';
import { parseTdQuote, verifyTdQuote } from '../../src/attest/quote.js';
import { parseTdxRegistry } from '../../src/attest/registry.js';
import { expectedRtmr3 } from '../../src/attest/rtmr.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/crypto/bytes.js';
import { keyId } from '../../src/crypto/envelope.js';
import { serviceIdOf, signEpochKey, signNonce, signStatement, statementBytes } from '../../src/crypto/statement.js';
import { fixture, tempDir } from '../helpers/index.js';
import { startFakePccs, type FakePccs } from '../helpers/fake-pccs.js';
import { flipBits, must } from '../helpers/must.js';

const hexFile = (...p: string[]) =>
  hexToBytes(
    readFileSync(fixture(...p), 'utf8')
      .trim()
      .toLowerCase(),
  );
const TDX_QUOTE = new Uint8Array(readFileSync(fixture('tdx', 'tdx_quote')));
const TDX_COLLATERAL = JSON.parse(readFileSync(fixture('tdx', 'tdx_quote_collateral.json'), 'utf8')) as Collateral;
const TDX_TIME = 1752919234_000; // tdx/EXPECTED.md: inside the collateral's validity window
const SVM_QUOTE = hexFile('secretvm', 'docker_check_cpu_quote.hex');
const SVM_COMPOSE = readFileSync(fixture('secretvm', 'docker_check_docker-compose.yaml'));
const KMS_QUOTE = hexFile('secretvm', 'kms_bootstrap_quote_2025.hex');
const KMS_COLLATERAL = JSON.parse(readFileSync(fixture('secretvm', 'kms_collateral_2025.json'), 'utf8')) as Collateral;
const KMS_TIME = 1749427442_000; // secretvm/EXPECTED.md §D
const REGISTRY = parseTdxRegistry(readFileSync(fixture('secretvm', 'tdx.csv'), 'utf8'));

const TDX_POLICY = AttestationPolicy.parse({
  v: 1,
  measurements: [
    {
      label: 'dcap-qvl sample',
      mrtd: '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7',
      rtmr0: '44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0',
      rtmr1: '0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378',
      rtmr2: 'd833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132',
      rtmr3: '0'.repeat(96),
    },
  ],
});
const SVM_POLICY = AttestationPolicy.parse({
  v: 1,
  measurements: REGISTRY,
  compose_sha256: ['d5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961'],
});

interface AttestEdits {
  statement?: (s: Record<string, unknown>) => void;
  epoch?: (e: Record<string, unknown>) => void;
  keyOrigin?: string;
}

/** A service's side of an attestation: keys, a signed statement and epoch key, a signed nonce, the given evidence. */
function attest(evidence: Evidence, nonce: Uint8Array, edits: AttestEdits = {}) {
  const es = ed25519.utils.randomSecretKey();
  const ep = ed25519.getPublicKey(es);
  const statement: Record<string, unknown> = {
    v: 2,
    service_id: serviceIdOf(ep),
    provider: evidence.provider,
    ed25519: bytesToHex(ep),
    key_origin: edits.keyOrigin ?? 'enclave',
    epoch_key_period_s: 3600,
    created_at: new Date(Date.now() - 60_000).toISOString(),
  };
  const xp = x25519.getPublicKey(x25519.utils.randomSecretKey());
  const epoch: Record<string, unknown> = {
    v: 1,
    service_id: statement.service_id,
    x25519: bytesToHex(xp),
    kid: bytesToHex(keyId(xp)),
    not_after: new Date(Date.now() + 3_600_000).toISOString(),
    accept_until: new Date(Date.now() + 7_200_000).toISOString(),
  };
  const bytes = statementBytes(statement as never);
  const response = {
    statement,
    statement_signature: bytesToHex(signStatement(bytes, es)),
    epoch_key: epoch,
    epoch_key_signature: bytesToHex(signEpochKey(epoch as never, es)),
    nonce: bytesToHex(nonce),
    nonce_signature: bytesToHex(signNonce(bytes, nonce, es)),
    evidence,
  };
  edits.statement?.(statement);
  edits.epoch?.(epoch);
  return response;
}

const nonce = hexToBytes('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
const failedCheck = async (raw: unknown, opts: Partial<VerifyOptions>) => {
  try {
    await verifyAttestation(raw, { nonce, ...opts });
  } catch (e) {
    return (e as { check?: string }).check ?? (e as Error).message;
  }
  return 'verified';
};
const flip = (bytes: Uint8Array, at: number) => {
  const b = bytes.slice();
  flipBits(b, at);
  return b;
};

let pccs: FakePccs;
let kmsPccs: FakePccs;
beforeAll(async () => {
  pccs = await startFakePccs(TDX_COLLATERAL);
  kmsPccs = await startFakePccs(KMS_COLLATERAL);
});
afterAll(async () => {
  await pccs.close();
  await kmsPccs.close();
});

describe('client verifier: statement, epoch key, nonce, dev evidence', () => {
  const dev: Evidence = { provider: 'dev', insecure: true, warning: 'x' };
  const tdx: Evidence = { provider: 'tdx', quote: '00' };

  test('dev evidence is refused unless the caller allows insecure dev, and then marked insecure', async () => {
    expect(await failedCheck(attest(dev, nonce), {})).toBe('dev_evidence');
    const r = attest(dev, nonce);
    const ok = await verifyAttestation(r, { nonce, allowInsecureDev: true });
    expect(ok.insecure).toBe(true);
    expect(ok.statement.service_id).toBe(r.statement.service_id);
    expect(bytesToHex(ok.x25519)).toBe(r.epoch_key.x25519);
  });

  test('a measurement policy never accepts dev evidence, whatever else the caller allows', async () => {
    expect(await failedCheck(attest(dev, nonce), { allowInsecureDev: true, policy: TDX_POLICY })).toBe('dev_evidence');
  });

  test('a changed statement, epoch key, signature or nonce fails the check that covers it', async () => {
    const opts = { allowInsecureDev: true };
    const changed = async (edits: AttestEdits) => failedCheck(attest(dev, nonce, edits), opts);
    expect(await changed({ statement: (s) => void (s.created_at = '2026-11-22T00:00:00.000Z') })).toBe(
      'statement_signature',
    );
    // A look-alike claiming a service id its key does not give.
    expect(await changed({ statement: (s) => void (s.service_id = 'prag-0123456789abcdef') })).toBe('service_id');
    expect(await changed({ epoch: (e) => void (e.x25519 = '11'.repeat(32)) })).toBe('epoch_key');
    expect(await changed({ epoch: (e) => void (e.service_id = 'prag-0123456789abcdef') })).toBe('epoch_key');
    const r = attest(dev, nonce);
    expect(
      await failedCheck({ ...r, statement_signature: bytesToHex(flip(hexToBytes(r.statement_signature), 3)) }, opts),
    ).toBe('statement_signature');
    expect(
      await failedCheck({ ...r, epoch_key_signature: bytesToHex(flip(hexToBytes(r.epoch_key_signature), 3)) }, opts),
    ).toBe('epoch_key');
    expect(await failedCheck({ ...r, nonce_signature: bytesToHex(flip(hexToBytes(r.nonce_signature), 3)) }, opts)).toBe(
      'nonce_signature',
    );
    expect(await failedCheck(r, { ...opts, nonce: flip(nonce, 0) })).toBe('nonce');
    expect(await failedCheck({ ...r, evidence: { provider: 'tdx', quote: '00' } }, opts)).toBe('response');
    expect(await failedCheck({ ...r, statement: { ...r.statement, extra: 1 } }, opts)).toBe('response');
    expect(await failedCheck(r, { ...opts, policy: { ...TDX_POLICY, service_id: 'prag-0123456789abcdef' } })).toBe(
      'service_id',
    );
  });

  test('an epoch key past its acceptance is refused (forward secrecy: the service has erased it)', async () => {
    const r = attest(dev, nonce);
    const later = Date.parse(r.epoch_key.accept_until as string) + 1;
    expect(await failedCheck(r, { allowInsecureDev: true, now: () => later })).toBe('epoch_key');
  });

  test('keys an operator could know are refused unless the policy lists that origin; statements can be too old', async () => {
    const escrow = attest(tdx, nonce, { keyOrigin: 'operator-escrow' });
    expect(await failedCheck(escrow, { policy: TDX_POLICY })).toBe('key_origin');
    // Listed: the check passes and verification goes on (to the quote, which this fake cannot pass).
    const allowing = { ...TDX_POLICY, key_origins: ['enclave' as const, 'operator-escrow' as const] };
    expect(await failedCheck(escrow, { policy: allowing })).toBe('collateral');
    const aged = { ...TDX_POLICY, max_statement_age_s: 30 };
    expect(await failedCheck(attest(tdx, nonce), { policy: aged })).toBe('statement_age');
  });
});

describe('client verifier: TDX quotes (real vectors, ../shared/fixtures/tdx)', () => {
  const tdx = (quote = TDX_QUOTE): Evidence => ({ provider: 'tdx', quote: bytesToHex(quote) });
  const opts = (now = TDX_TIME): Partial<VerifyOptions> => ({
    policy: TDX_POLICY,
    now: () => now,
    collateral: collateralSource({ pccsUrl: pccs.url }),
  });

  test("the real quote passes quote, TCB and measurement checks at the collateral's time, then fails the key binding", async () => {
    // The sample's report_data is not SHA-512 of our statement: the first check that cannot pass is the binding.
    expect(await failedCheck(attest(tdx(), nonce), opts())).toBe('binding');
  });

  test('one changed byte of the quote, expired collateral, or an unlisted platform fails', async () => {
    expect(await failedCheck(attest(tdx(flip(TDX_QUOTE, 568)), nonce), opts())).toBe('quote'); // report_data
    expect(await failedCheck(attest(tdx(flip(TDX_QUOTE, 184)), nonce), opts())).toBe('quote'); // MRTD
    expect(await failedCheck(attest(tdx(), nonce), opts(1752920164_000))).toBe('quote'); // TCB info expired
    expect(await failedCheck(attest(tdx(), nonce), opts(Date.now()))).toBe('quote');
    const elsewhere = {
      ...opts(),
      policy: {
        ...TDX_POLICY,
        measurements: [{ ...must(TDX_POLICY.measurements[0], 'a TDX policy measurement'), rtmr1: '11'.repeat(48) }],
      },
    };
    expect(await failedCheck(attest(tdx(), nonce), elsewhere)).toBe('measurements');
    const strict = { ...opts(), policy: { ...TDX_POLICY, tcb_status: ['SWHardeningNeeded' as const] } };
    expect(await failedCheck(attest(tdx(), nonce), strict)).toBe('tcb_status');
    const pinned = {
      ...opts(),
      policy: {
        ...TDX_POLICY,
        measurements: [{ ...must(TDX_POLICY.measurements[0], 'a TDX policy measurement'), rtmr3: '22'.repeat(48) }],
      },
    };
    expect(await failedCheck(attest(tdx(), nonce), pinned)).toBe('rtmr3');
    expect(await failedCheck(attest(tdx(), nonce), { ...opts(), policy: undefined })).toBe('policy');
  });

  test.each([
    [
      'tdx/tdx_quote_2.hex',
      'tdx/tdx_quote_2_collateral.json',
      1757462400,
      'f06dfda6dce1cf904d4e2bab1dc370634cf95cefa2ceb2de2eee127c9382698090d7a4a13e14c536ec6c9c3c8fa87077',
      '287a9242edd8c8429913ec66f44af611b820cf9b574f303a6caeddeb4c9826311aef6e518aaf4a17f55a81154592b7b3',
    ],
    [
      'secretvm/kms_bootstrap_quote_2025.hex',
      'secretvm/kms_collateral_2025.json',
      1749427442,
      'ba87a347454466680bfd267446df89d8117c04ea9f28234dd3d84e1a8a957d5adaf02d4aa88433b559fb13bd40f0109e',
      'a79b158091fa46472c94aaeaeb848c3611ab4fc54f1cd7da5f42f456feb3e4f3f757177181871b869b86d4da6144e432',
    ],
    [
      'secretvm/attest_rest_cpu_quote_2025.hex',
      'secretvm/kms_collateral_2025.json',
      1749427442,
      'a3bf407796ee138c5bba47ee9ca78f2c7d39170f18e02d9232776e6f21d253bfcb7fdb056199e16d38ae3a87890b0640',
      '0'.repeat(96),
    ],
  ])(
    "%s verifies UpToDate at its collateral's time with the expected MRTD and RTMR3",
    (quoteFile, collateralFile, nowSecs, mrtd, rtmr3) => {
      const quote = hexFile(...quoteFile.split('/'));
      const collateral = JSON.parse(readFileSync(fixture(...collateralFile.split('/')), 'utf8')) as Collateral;
      const verified = verifyTdQuote(quote, collateral, nowSecs);
      expect(verified).toMatchObject({ status: 'UpToDate', advisoryIds: [], td: { mrtd, rtmr3 } });
    },
  );

  test('an SGX quote and a TDX quote below every TCB level are refused', () => {
    const sgx = new Uint8Array(readFileSync(fixture('tdx', 'sgx_quote')));
    const sgxCollateral = JSON.parse(readFileSync(fixture('tdx', 'sgx_quote_collateral.json'), 'utf8')) as Collateral;
    expect(() => verifyTdQuote(sgx, sgxCollateral, 1752919277)).toThrow(/not from a TDX trust domain/);
    const outdated = new Uint8Array(readFileSync(fixture('tdx', 'tdx_quote_outdated')));
    const outdatedCollateral = JSON.parse(
      readFileSync(fixture('tdx', 'tdx_quote_outdated_collateral.json'), 'utf8'),
    ) as Collateral;
    expect(() => verifyTdQuote(outdated, outdatedCollateral, 1774003274)).toThrow(/No matching TCB level found/);
    expect(() => verifyTdQuote(TDX_QUOTE, sgxCollateral, 1752919234)).toThrow(/"quote"/);
  });

  test('collateral comes from the PCCS once and from the disk cache until it expires', async () => {
    const dir = tempDir();
    try {
      let now = TDX_TIME;
      const source = collateralSource({ pccsUrl: pccs.url, cacheDir: dir.path, now: () => now });
      const before = pccs.hits;
      await source(TDX_QUOTE);
      const fetched = pccs.hits - before;
      expect(fetched).toBeGreaterThanOrEqual(4); // pck crl, tcb info, qe identity, root ca crl
      await source(TDX_QUOTE);
      expect(pccs.hits - before).toBe(fetched);
      now = Date.parse('2025-07-19T10:16:04Z'); // past tcb_info nextUpdate
      await source(TDX_QUOTE);
      expect(pccs.hits - before).toBe(2 * fetched);
    } finally {
      dir.cleanup();
    }
  });
});

describe('client verifier: SecretVM (real vectors, ../shared/fixtures/secretvm)', () => {
  test('the SecretVM quote matches the registry (small/prod/v0.0.25) and RTMR3 replays from its compose', () => {
    const td = parseTdQuote(SVM_QUOTE);
    const candidates = matchMeasurements(td, SVM_POLICY);
    expect(candidates).toHaveLength(4); // tdx.csv lines 6, 8, 16, 27 share MRTD and RTMR0-2
    const { entry, composeSha256 } = checkSecretVmWorkload(td, candidates, SVM_COMPOSE, SVM_POLICY);
    expect(entry.label).toBe('small/prod/v0.0.25');
    expect(composeSha256).toBe('d5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961');
  });

  test('a changed compose or MRTD is caught', () => {
    const td = parseTdQuote(SVM_QUOTE);
    const candidates = matchMeasurements(td, SVM_POLICY);
    const tampered = Buffer.concat([SVM_COMPOSE, Buffer.from('\n# tampered')]);
    expect(() => checkSecretVmWorkload(td, candidates, tampered, SVM_POLICY)).toThrow(/"compose"/);
    const lenient = { ...SVM_POLICY, compose_sha256: [...SVM_POLICY.compose_sha256, bytesToHex(sha256(tampered))] };
    expect(() => checkSecretVmWorkload(td, candidates, tampered, lenient)).toThrow(/"rtmr3"/);
    expect(() => matchMeasurements(parseTdQuote(flip(SVM_QUOTE, 184)), SVM_POLICY)).toThrow(/"measurements"/);
  });

  test('dstack-scheme RTMR3 ground truth for small/v0.0.34 (secretvm/EXPECTED.md §C)', () => {
    const compose = readFileSync(fixture('secretvm', 'v0034_dstack_docker-compose.yaml'));
    const cases: Array<[appId: string, rootfs: string, rtmr3: string]> = [
      [
        '6c4ed58ae19edcc3b90a7d7bd9087aee951d1ecc',
        '6a441f52179d66d4b82d8113a99892b1287a01ded04b2f47019750f824071cc0',
        'bd88eccd83e76e65edc863ad771edd4d1bf388c5c655979774aa476dfedf611df4b05e78cb9dacbfe655dd0ed4a11313',
      ],
      [
        '020e04828a82f7e5466c47279120e1a8d087848a',
        'b28b457b468cd058be0732208d2edc79e41f42fd4a0d25353aacacf016b6dc4e',
        '7f3c3d4872dcea04729f51573cd30787b02efda396b8264d87082b6f9c8716423738f0038aeecb3e98f2c439664bbc08',
      ],
    ];
    for (const [appId, rootfs, rtmr3] of cases) {
      expect(
        bytesToHex(
          expectedRtmr3({
            compose,
            rootfsData: hexToBytes(rootfs),
            scheme: 'dstack',
            dstackAppId: hexToBytes(appId),
          }),
        ),
      ).toBe(rtmr3);
    }
  });

  test('the VM signing key must be the attested one and must have signed the statement', () => {
    const vmKey = ed25519.utils.randomSecretKey();
    const statement = utf8ToBytes('{"v":1}');
    const evidence = {
      provider: 'secretvm' as const,
      quote: '00',
      vm_public_key: bytesToHex(ed25519.getPublicKey(vmKey)),
      vm_signature: Buffer.from(ed25519.sign(statement, vmKey)).toString('base64'),
      docker_compose: '',
    };
    const reportData = new Uint8Array(64);
    reportData.set(ed25519.getPublicKey(vmKey));
    expect(() => checkSecretVmBinding(reportData, evidence, statement)).not.toThrow();
    expect(() => checkSecretVmBinding(reportData, evidence, utf8ToBytes('{"v":2}'))).toThrow(/"vm_signature"/);
    expect(() => checkSecretVmBinding(parseTdQuote(SVM_QUOTE).reportData, evidence, statement)).toThrow(/"binding"/);
  });

  test('the real SecretVM quote cannot be verified with the only collateral there is (older than its PCK certificate)', async () => {
    const evidence: Evidence = {
      provider: 'secretvm',
      quote: bytesToHex(SVM_QUOTE),
      vm_public_key: '00'.repeat(32),
      vm_signature: 'AA==',
      docker_compose: SVM_COMPOSE.toString('utf8'),
    };
    const opts = { policy: SVM_POLICY, collateral: collateralSource({ pccsUrl: kmsPccs.url }) };
    expect(await failedCheck(attest(evidence, nonce), { ...opts, now: () => KMS_TIME })).toBe('quote');
    expect(await failedCheck(attest(evidence, nonce), { ...opts, now: () => Date.now() })).toBe('quote');
  });

  test("a real SecretVM KMS quote verifies at its collateral's time, and a compose that does not produce its RTMR3 is refused", async () => {
    const td = parseTdQuote(KMS_QUOTE);
    const policy = AttestationPolicy.parse({
      v: 1,
      measurements: [
        {
          label: 'kms 2025',
          mrtd: td.mrtd,
          rtmr0: td.rtmr0,
          rtmr1: td.rtmr1,
          rtmr2: td.rtmr2,
          rootfs_data: '00'.repeat(32),
        },
      ],
      compose_sha256: ['d5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961'],
    });
    const evidence: Evidence = {
      provider: 'secretvm',
      quote: bytesToHex(KMS_QUOTE),
      vm_public_key: '00'.repeat(32),
      vm_signature: 'AA==',
      docker_compose: SVM_COMPOSE.toString('utf8'),
    };
    const opts = { policy, collateral: collateralSource({ pccsUrl: kmsPccs.url }) };
    expect(await failedCheck(attest(evidence, nonce), { ...opts, now: () => KMS_TIME })).toBe('rtmr3');
    expect(await failedCheck(attest(evidence, nonce), { ...opts, now: () => TDX_TIME })).toBe('quote'); // expired
  });
});
