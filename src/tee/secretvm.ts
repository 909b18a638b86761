/**
 * `secretvm`: SecretVM offers no quote with caller-chosen report_data
 * (../shared/docs/secret-platform.md §2.1, §7.1). PRAG binds its keys through
 * the VM's verifiable message signing (§2.5 option 2): the VM generates an
 * Ed25519 key and a quote with report_data[0:32] = that key, mounted into the
 * container; PRAG asks the VM's signing service to sign its key statement
 * once at start. Freshness comes from PRAG's own Ed25519 signature over each
 * caller's nonce, that key being named in the VM-signed statement.
 *
 * UNCONFIRMED on the platform, hence configurable: the mount paths, the
 * signing service address, that Ed25519 signs the payload bytes as given
 * (checked here at start: a mismatch refuses to start), and where the
 * container reads the compose (the attestation server or a mounted file).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { readFile } from 'node:fs/promises';
import { bytesToHex, hexToBytes, isHex, utf8 } from '../crypto/bytes.js';
import { TeeError, type TeeProvider } from './provider.js';

export interface SecretVmOptions {
  /** The VM's signing service (docker network only). */
  signUrl: string;
  /** Hex quote whose report_data[0:32] is the VM signing key. */
  keyQuoteFile: string;
  /** The VM signing key: PEM (SPKI) or hex. */
  publicKeyFile: string;
  /** The docker-compose the VM measured: an http(s) URL or a file path. */
  compose: string;
  fetch?: typeof fetch;
}

export const SECRETVM_DEFAULTS = {
  signUrl: 'http://172.17.0.1:49153/sign',
  keyQuoteFile: '/app/crypto/docker_attestation_ed25519.txt',
  publicKeyFile: '/app/crypto/docker_public_key_ed25519.pem',
  compose: 'http://172.17.0.1:29343/docker-compose',
} as const;

/** RFC 8410 SubjectPublicKeyInfo prefix for an Ed25519 key. */
const ED25519_SPKI_PREFIX = '302a300506032b6570032100';

export function parseEd25519PublicKey(text: string): Uint8Array {
  const trimmed = text.trim();
  if (isHex(trimmed, 32)) return hexToBytes(trimmed.toLowerCase());
  const body = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(trimmed)?.[1];
  if (!body) throw new TeeError('VM public key is neither PEM nor 32 bytes of hex');
  const der = bytesToHex(new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64')));
  if (der.length !== 88 || !der.startsWith(ED25519_SPKI_PREFIX))
    throw new TeeError('VM public key PEM is not an Ed25519 key');
  return hexToBytes(der.slice(ED25519_SPKI_PREFIX.length));
}

async function readSource(source: string, doFetch: typeof fetch): Promise<string> {
  if (!/^https?:\/\//.test(source)) return readFile(source, 'utf8');
  const res = await doFetch(source);
  if (!res.ok) throw new TeeError(`GET ${source} answered ${res.status}`);
  return res.text();
}

export function secretVmProvider(options: SecretVmOptions): TeeProvider {
  const doFetch = options.fetch ?? fetch;
  let bound: { quote: string; vmKey: string; signature: string; compose: string } | undefined;
  return {
    name: 'secretvm',
    secure: true,
    async bind(statement) {
      const quoteText = (await readFile(options.keyQuoteFile, 'utf8')).trim().toLowerCase();
      if (!isHex(quoteText) || !quoteText.length)
        throw new TeeError(`${options.keyQuoteFile} does not hold a hex quote`);
      const vmKey = parseEd25519PublicKey(await readFile(options.publicKeyFile, 'utf8'));
      const payload = utf8(statement);
      const res = await doFetch(options.signUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key_type: 'ed25519', payload }),
      });
      if (!res.ok) throw new TeeError(`the VM signing service answered ${res.status}`);
      const { signature } = (await res.json()) as { signature?: unknown };
      if (typeof signature !== 'string') throw new TeeError('the VM signing service returned no signature');
      const sig = new Uint8Array(Buffer.from(signature, 'base64'));
      if (sig.length !== 64 || !ed25519.verify(sig, statement, vmKey)) {
        throw new TeeError(
          'the VM signing service signature does not verify under the mounted VM key (payload hashed, or a different key?)',
        );
      }
      const compose = await readSource(options.compose, doFetch);
      bound = { quote: quoteText, vmKey: bytesToHex(vmKey), signature: Buffer.from(sig).toString('base64'), compose };
    },
    async evidence() {
      if (!bound) throw new TeeError('secretvm provider used before bind()');
      return {
        provider: 'secretvm',
        quote: bound.quote,
        vm_public_key: bound.vmKey,
        vm_signature: bound.signature,
        docker_compose: bound.compose,
      };
    },
  };
}
