/**
 * The secretvm provider against a fake of the VM's signing service (it runs
 * only inside a SecretVM), with a real SecretVM quote mounted as the VM key's
 * quote, checked by the client verifier end to end.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Collateral } from '@phala/dcap-qvl';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AttestationPolicy } from '../../schemas/attestation.js';
import { collateralSource } from '../../src/attest/collateral.js';
import { PragClient } from '../../src/client/session.js';
import { checkSecretVmBinding } from '../../src/attest/attestation.js';
import { parseTdQuote } from '../../src/attest/quote.js';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { statementBytes } from '../../src/crypto/statement.js';
import { parseEd25519PublicKey } from '../../src/tee/secretvm.js';
import { startFakePccs, type FakePccs } from '../helpers/fake-pccs.js';
import { fixture, tempDir } from '../helpers/index.js';
import { startTestService } from '../helpers/service.js';

const KMS_TIME = 1749427442_000;
const KMS_QUOTE_FILE = fixture('secretvm', 'kms_bootstrap_quote_2025.hex');
const COMPOSE_FILE = fixture('secretvm', 'docker_check_docker-compose.yaml');

function pem(publicKey: Uint8Array): string {
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKey)]);
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
}

/** The VM's message-signing service: POST /sign {key_type, payload} → {signature} (docs: verifiable-message-signing). */
async function fakeSigner(secretKey: Uint8Array): Promise<{ url: string; payloads: string[]; server: Server }> {
  const payloads: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const { key_type, payload } = JSON.parse(body) as { key_type: string; payload: string };
      if (req.url !== '/sign' || key_type !== 'ed25519') {
        res.writeHead(400);
        res.end();
        return;
      }
      payloads.push(payload);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          signature: Buffer.from(ed25519.sign(new TextEncoder().encode(payload), secretKey)).toString('base64'),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sign`, payloads, server };
}

describe('secretvm provider', () => {
  const dir = tempDir();
  const vmKey = ed25519.utils.randomSecretKey();
  let signer: Awaited<ReturnType<typeof fakeSigner>>;
  let pccs: FakePccs;
  const files = {
    quote: join(dir.path, 'docker_attestation_ed25519.txt'),
    pem: join(dir.path, 'docker_public_key_ed25519.pem'),
  };

  beforeAll(async () => {
    signer = await fakeSigner(vmKey);
    pccs = await startFakePccs(
      JSON.parse(readFileSync(fixture('secretvm', 'kms_collateral_2025.json'), 'utf8')) as Collateral,
    );
    copyFileSync(KMS_QUOTE_FILE, files.quote);
    writeFileSync(files.pem, pem(ed25519.getPublicKey(vmKey)));
  });
  afterAll(async () => {
    signer.server.close();
    await pccs.close();
    dir.cleanup();
  });

  const config = (signUrl: string) => ({
    tee: 'secretvm' as const,
    secretvm: { signUrl, keyQuoteFile: files.quote, publicKeyFile: files.pem, compose: COMPOSE_FILE },
  });

  test('binds the key statement through the VM signing key; the client verifies the real quote and names the first check a wrong workload fails', async () => {
    const svc = await startTestService(join(dir.path, 'data'), config(signer.url));
    try {
      expect(signer.payloads).toHaveLength(1); // signed once, at start
      const res = await fetch(`${svc.url}/v1/attestation?nonce=${'ab'.repeat(16)}`);
      const body = (await res.json()) as {
        statement: never;
        evidence: {
          provider: string;
          vm_public_key: string;
          vm_signature: string;
          docker_compose: string;
          quote: string;
        };
      };
      expect(body.evidence.provider).toBe('secretvm');
      expect(body.evidence.docker_compose).toBe(readFileSync(COMPOSE_FILE, 'utf8'));
      expect(hexToBytes(body.evidence.vm_public_key)).toEqual(ed25519.getPublicKey(vmKey));
      expect(signer.payloads[0]).toBe(new TextDecoder().decode(statementBytes(body.statement)));
      // The VM signature is over exactly our statement: with report_data holding the VM key the binding holds.
      const reportData = new Uint8Array(64);
      reportData.set(ed25519.getPublicKey(vmKey));
      expect(() =>
        checkSecretVmBinding(reportData, body.evidence as never, statementBytes(body.statement)),
      ).not.toThrow();

      const td = parseTdQuote(hexToBytes(body.evidence.quote));
      const policy = AttestationPolicy.parse({
        v: 1,
        measurements: [
          { mrtd: td.mrtd, rtmr0: td.rtmr0, rtmr1: td.rtmr1, rtmr2: td.rtmr2, rootfs_data: '00'.repeat(32) },
        ],
        compose_sha256: ['d5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961'],
      });
      const collateral = collateralSource({ pccsUrl: pccs.url });
      // Quote and TCB pass at the collateral's time; this 2025 KMS quote's RTMR3 is not this compose's.
      await expect(PragClient.connect(svc.url, { policy, collateral, now: () => KMS_TIME })).rejects.toMatchObject({
        check: 'rtmr3',
      });
      await expect(PragClient.connect(svc.url, { policy, collateral })).rejects.toMatchObject({ check: 'quote' }); // collateral expired today
      await expect(PragClient.connect(svc.url, { allowInsecureDev: true, collateral })).rejects.toMatchObject({
        check: 'policy',
      });
    } finally {
      await svc.close();
    }
  });

  test('refuses to start when the signing service signs with another key than the mounted one', async () => {
    const impostor = await fakeSigner(ed25519.utils.randomSecretKey());
    try {
      await expect(startTestService(join(dir.path, 'data2'), config(impostor.url))).rejects.toThrow(
        /does not verify under the mounted VM key/,
      );
    } finally {
      impostor.server.close();
    }
  });

  test('reads the VM key as PEM (RFC 8410) or hex', () => {
    const pub = ed25519.getPublicKey(vmKey);
    expect(parseEd25519PublicKey(pem(pub))).toEqual(pub);
    expect(parseEd25519PublicKey(Buffer.from(pub).toString('hex'))).toEqual(pub);
    expect(() => parseEd25519PublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(
      /not an Ed25519 key/,
    );
  });

  test('the hardware providers need no key from the deployer: the keys are born in the VM, escrow is explicit', async () => {
    const svc = await startTestService(join(dir.path, 'data3'), config(signer.url));
    try {
      expect(svc.service.statement.key_origin).toBe('enclave');
    } finally {
      await svc.close();
    }
    await expect(
      startTestService(join(dir.path, 'data4'), { ...config(signer.url), keyEscrow: 'operator' }),
    ).rejects.toMatchObject({ code: 'master_key_missing' });
  });
});

describe('tdx provider', () => {
  test('fails closed at start where configfs-tsm is absent', async () => {
    const { tdxProvider } = await import('../../src/tee/tdx.js');
    const dir = tempDir();
    try {
      await expect(tdxProvider(join(dir.path, 'no-tsm')).bind(new Uint8Array(1))).rejects.toThrow(
        /configfs-tsm is not available/,
      );
    } finally {
      dir.cleanup();
    }
  });
});
