/**
 * `prag/client` under Node: the library of index.ts, plus what needs the
 * file system — an identity file as the signer, quote collateral from a
 * PCCS cached on disk, upload bodies streamed with back-pressure, and files
 * and folders as uploads. package.json's `exports` picks this file for Node
 * and index.ts elsewhere, so `import { connect } from 'prag/client'` works in both.
 */
import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { collateralSource, DEFAULT_PCCS_URL } from '../attest/collateral.js';
import { findFiles } from '../cli/files.js';
import type { AminoSigner } from './credentials.js';
import { loadIdentity } from './identity.js';
import { Prag, type PragConnectOptions } from './index.js';
import { streamingFetch } from './node-fetch.js';
import type { UploadInput } from './session.js';

export * from './index.js';
export { createIdentity, loadIdentity } from './identity.js';

export interface NodeConnectOptions extends Omit<PragConnectOptions, 'signer'> {
  /** An identity file (`prag keygen`), or any signer. */
  identity: string | AminoSigner;
  /** Collateral source when `collateral` is not given (default: the policy's, PRAG_PCCS_URL, or pccs.scrtlabs.com). */
  pccsUrl?: string;
}

/** Verifies the service's attestation, then signs a permit with the identity; Node defaults for the rest. */
export async function connect(url: string, options: NodeConnectOptions): Promise<Prag> {
  const { identity, pccsUrl, ...rest } = options;
  const signer = typeof identity === 'string' ? await loadIdentity(identity) : identity;
  const cacheDir = process.env.PRAG_CACHE_DIR ?? join(homedir(), '.cache', 'prag');
  return Prag.connect(url, {
    collateral: collateralSource({
      pccsUrl: pccsUrl ?? rest.policy?.pccs_url ?? process.env.PRAG_PCCS_URL ?? DEFAULT_PCCS_URL,
      cacheDir,
    }),
    fetch: streamingFetch,
    ...rest,
    signer,
  });
}

/**
 * The files of some paths (folders walked as `prag upload` walks them: hidden entries, unsupported kinds and
 * what `.pragignore` or the default rules match are left out), each as
 * an upload streamed from disk: `for (const f of await files(['docs'])) await prag.upload(f)`.
 */
export async function files(
  paths: readonly string[],
  collection?: string,
): Promise<Array<UploadInput & { path: string }>> {
  return (await findFiles(paths)).files.map((f) => ({
    path: f.path,
    name: basename(f.path),
    size: f.size,
    // A getter-like generator: the file is opened only when the upload reads it.
    bytes: (async function* () {
      for await (const chunk of createReadStream(f.path, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
    })(),
    collection,
  }));
}
