/**
 * The identity file's two formats (docs/configuration.md, "Identity file"),
 * browser-safe: `prag-identity-v1` holds the wallet's mnemonic in clear;
 * `prag-identity-encrypted` holds it under a passphrase (scrypt →
 * XChaCha20-Poly1305, the address bound as associated data). The CLI reads
 * and writes these files (identity.ts); the web client imports and exports them.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { z } from 'zod';

const Address = z.string().startsWith('secret1');

const PlainIdentity = z
  .object({ kind: z.literal('prag-identity-v1'), mnemonic: z.string().min(20), address: Address })
  .strict();

/** scrypt cost: 64 MiB and about a second on a laptop per unlock; recorded in the file, so it can change. */
const SCRYPT = { N: 2 ** 16, r: 8, p: 1 } as const;

const EncryptedIdentity = z
  .object({
    kind: z.literal('prag-identity-encrypted'),
    version: z.literal(1),
    address: Address,
    kdf: z
      .object({
        name: z.literal('scrypt'),
        N: z
          .number()
          .int()
          .min(2 ** 14)
          .max(2 ** 22),
        r: z.number().int().min(1).max(32),
        p: z.number().int().min(1).max(16),
        salt: z.base64(),
      })
      .strict(),
    cipher: z.object({ name: z.literal('xchacha20-poly1305'), nonce: z.base64() }).strict(),
    ciphertext: z.base64(),
  })
  .strict();

export const IdentityFile = z.union([PlainIdentity, EncryptedIdentity]);
export type IdentityFile = z.infer<typeof IdentityFile>;

/** A problem with an identity file, said with what to do. */
export class IdentityError extends Error {
  override name = 'IdentityError';
}

const utf8 = new TextEncoder();
// The address is bound as associated data: a file whose address was edited does not open.
const aad = (address: string) => utf8.encode(`prag-identity-v1\n${address}`);

function keyFrom(passphrase: string, kdf: { N: number; r: number; p: number; salt: Uint8Array }) {
  return scryptAsync(utf8.encode(passphrase.normalize('NFKC')), kdf.salt, { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32 });
}

/** An identity file's body for a wallet: encrypted when a passphrase is given. */
export async function encodeIdentity(
  wallet: { mnemonic: string; address: string },
  passphrase?: string,
): Promise<IdentityFile> {
  if (passphrase === undefined) return { kind: 'prag-identity-v1', mnemonic: wallet.mnemonic, address: wallet.address };
  if (!passphrase) throw new IdentityError('the passphrase is empty');
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = await keyFrom(passphrase, { ...SCRYPT, salt });
  const ciphertext = xchacha20poly1305(key, nonce, aad(wallet.address)).encrypt(utf8.encode(wallet.mnemonic));
  return {
    kind: 'prag-identity-encrypted',
    version: 1,
    address: wallet.address,
    kdf: { name: 'scrypt', ...SCRYPT, salt: base64.encode(salt) },
    cipher: { name: 'xchacha20-poly1305', nonce: base64.encode(nonce) },
    ciphertext: base64.encode(ciphertext),
  };
}

/** Parses an identity file's text; `name` says which file in errors. */
export function parseIdentity(text: string, name: string): IdentityFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IdentityError(`${name} is not a PRAG identity file (not JSON); \`prag keygen\` writes one`);
  }
  const parsed = IdentityFile.safeParse(json);
  if (!parsed.success)
    throw new IdentityError(
      `${name} is not a PRAG identity file (${parsed.error.issues[0]?.message ?? 'unexpected fields'})`,
    );
  return parsed.data;
}

/** The mnemonic an identity file holds (opening an encrypted one with its passphrase). */
export async function identityMnemonic(
  data: IdentityFile,
  name: string,
  passphrase: () => Promise<string | undefined>,
): Promise<string> {
  if (data.kind === 'prag-identity-v1') return data.mnemonic;
  const given = await passphrase();
  if (given === undefined) throw new IdentityError(`${name} is encrypted: give its passphrase`);
  const key = await keyFrom(given, { ...data.kdf, salt: base64.decode(data.kdf.salt) });
  try {
    return new TextDecoder().decode(
      xchacha20poly1305(key, base64.decode(data.cipher.nonce), aad(data.address)).decrypt(
        base64.decode(data.ciphertext),
      ),
    );
  } catch {
    throw new IdentityError(`wrong passphrase for ${name} (or the file was altered)`);
  }
}
