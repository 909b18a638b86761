/**
 * A user's identity file on disk: a Secret wallet (the account secretjs
 * derives from its mnemonic, src/client/amino-key.ts), in one of the formats
 * of identity-file.ts (docs/configuration.md, "Identity file"). It holds the
 * mnemonic, so it is written owner-read-only. Permits are signed from it per
 * session (src/client/credentials.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { mnemonicSigner, newMnemonic } from './amino-key.js';
import type { AminoSigner } from './credentials.js';
import { encodeIdentity, IdentityError, identityMnemonic, parseIdentity } from './identity-file.js';

export interface IdentityOptions {
  /** Encrypts the file (create) or opens an encrypted one (load); default for loading: PRAG_PASSPHRASE. */
  passphrase?: string | (() => Promise<string>);
}

const passphraseOf = async (opts: IdentityOptions): Promise<string | undefined> =>
  typeof opts.passphrase === 'function' ? opts.passphrase() : opts.passphrase;

/** Creates a wallet and writes its identity file (never over an existing file); returns its address. */
export async function createIdentity(file: string, opts: IdentityOptions = {}): Promise<string> {
  const mnemonic = newMnemonic();
  const { address } = await mnemonicSigner(mnemonic);
  const body = await encodeIdentity({ mnemonic, address }, await passphraseOf(opts));
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return address;
}

async function readIdentityFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT')
      throw new IdentityError(`identity file ${file} does not exist; create one with \`prag keygen\``);
    if (code === 'EISDIR') throw new IdentityError(`identity file ${file} is a directory; name the file inside it`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new IdentityError(
        `identity file ${file} cannot be read by you (permission denied); check its owner and mode`,
      );
    throw new IdentityError(`identity file ${file} cannot be read: ${(e as Error).message}`);
  }
}

export async function loadIdentity(file: string, opts: IdentityOptions = {}): Promise<AminoSigner> {
  const data = parseIdentity(await readIdentityFile(file), file);
  const mnemonic = await identityMnemonic(
    data,
    file,
    async () => (await passphraseOf(opts)) ?? (process.env.PRAG_PASSPHRASE || undefined),
  );
  const wallet = await mnemonicSigner(mnemonic).catch((e: unknown) => {
    throw new IdentityError(`${file}: ${(e as Error).message}`);
  });
  if (wallet.address !== data.address)
    throw new IdentityError(`${file}: the mnemonic does not derive the recorded address`);
  return wallet;
}
