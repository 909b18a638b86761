/**
 * A user's identity: a Secret wallet (secretjs). The identity file holds its
 * mnemonic, so it is written owner-read-only. Permits are signed from it per
 * session (src/client/credentials.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Wallet, type WalletType } from '../auth/secretjs.js';
import { z } from 'zod';

const IdentityFile = z
  .object({
    kind: z.literal('prag-identity-v1'),
    mnemonic: z.string().min(20),
    address: z.string().startsWith('secret1'),
  })
  .strict();

export async function createIdentity(file: string): Promise<string> {
  const wallet = new Wallet();
  const body = { kind: 'prag-identity-v1', mnemonic: wallet.mnemonic, address: wallet.address };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return wallet.address;
}

export async function loadIdentity(file: string): Promise<WalletType> {
  const parsed = IdentityFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a PRAG identity file`);
  const wallet = new Wallet(parsed.data.mnemonic);
  if (wallet.address !== parsed.data.address)
    throw new Error(`${file}: the mnemonic does not derive the recorded address`);
  return wallet;
}
