/**
 * A user's identity: a Secret wallet (secretjs). The identity file holds its
 * mnemonic, so it is written owner-read-only. Permits are signed from it per
 * session: SNIP-24 sign doc for this service's id and the configured chain.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { newSignDoc, Wallet, type Permission, type WalletType } from '../auth/secretjs.js';
import { z } from 'zod';
import type { Permit } from '../../schemas/api.js';
import { PRAG_PERMISSION } from '../../schemas/api.js';

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

export async function signPermit(
  wallet: WalletType,
  opts: { chainId: string; serviceId: string; name: string },
): Promise<Permit> {
  const permissions = [PRAG_PERMISSION as Permission];
  const { signature } = await wallet.signAmino(
    wallet.address,
    newSignDoc(opts.chainId, opts.name, [opts.serviceId], permissions),
  );
  return {
    params: { permit_name: opts.name, allowed_tokens: [opts.serviceId], chain_id: opts.chainId, permissions },
    signature: {
      pub_key: { type: 'tendermint/PubKeySecp256k1', value: signature.pub_key.value },
      signature: signature.signature,
    },
  };
}
