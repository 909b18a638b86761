/**
 * The browser's own Secret account code (src/client/amino-key.ts, @scure and
 * @noble only) against secretjs' Wallet, which the CLI and the service's
 * permit checks use: the same mnemonic gives the same address, and a permit
 * sign doc the same signature bytes (RFC 6979 signatures are deterministic);
 * and the identity file it exports is the CLI's, encrypted or not.
 */
import { describe, expect, test } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { base64 } from '@scure/base';
import { validatePermit, Wallet, type Permission } from '../../src/auth/secretjs.js';
import { aminoSignBytes, mnemonicSigner, newMnemonic } from '../../src/client/amino-key.js';
import { encodeIdentity, identityMnemonic, parseIdentity } from '../../src/client/identity-file.js';
import { expectNoMnemonic } from '../helpers/mnemonic.js';

const PARAMS = {
  permit_name: 'prag1.web.1700000000.<key&>',
  allowed_tokens: ['prag-0123456789abcdef'],
  permissions: ['prag'],
};
const signDoc = (memo = '') => ({
  chain_id: 'secret-4',
  account_number: '0',
  sequence: '0',
  fee: { amount: [{ denom: 'uscrt', amount: '0' }], gas: '1' },
  msgs: [
    {
      type: 'query_permit',
      value: PARAMS,
    },
  ],
  memo,
});

describe('browser Secret account', () => {
  test("derives secretjs' address; secretjs accepts its permits, and both sign the same bytes", async () => {
    const wallet = new Wallet();
    const signer = await mnemonicSigner(wallet.mnemonic);
    expect(signer.address).toBe(wallet.address);
    const doc = signDoc();
    const ours = await signer.signAmino(signer.address, doc);
    const theirs = await wallet.signAmino(wallet.address, doc);
    expect(ours.signature.pub_key.value).toBe(theirs.signature.pub_key.value);
    // secretjs hedges its signatures with extra entropy; each verifies over the bytes the other signed.
    const publicKey = base64.decode(ours.signature.pub_key.value);
    for (const sig of [ours, theirs])
      expect(secp256k1.verify(base64.decode(sig.signature.signature), aminoSignBytes(doc), publicKey)).toBe(true);
    // The service's check (secretjs validatePermit) accepts the permit this signer signs.
    const permit = {
      params: { ...PARAMS, chain_id: doc.chain_id },
      signature: {
        pub_key: { type: 'tendermint/PubKeySecp256k1', value: ours.signature.pub_key.value },
        signature: ours.signature.signature,
      },
    };
    expect(validatePermit(permit, signer.address, 'prag-0123456789abcdef', ['prag' as Permission], true)).toBe(true);
    // Another memo is another message.
    expect(secp256k1.verify(base64.decode(ours.signature.signature), aminoSignBytes(signDoc('x')), publicKey)).toBe(
      false,
    );
  });

  test('new mnemonics are 24 words that secretjs accepts; a wrong word or another address is refused', async () => {
    const mnemonic = newMnemonic();
    expect(mnemonic.split(' ')).toHaveLength(24);
    expect((await mnemonicSigner(mnemonic)).address).toBe(new Wallet(mnemonic).address);
    await expect(mnemonicSigner(mnemonic.replace(/^\S+/, 'notaword'))).rejects.toThrow(/mnemonic/);
    const signer = await mnemonicSigner(mnemonic);
    await expect(signer.signAmino(new Wallet().address, signDoc())).rejects.toThrow(/signs for/);
  });

  test('identity files: plain and passphrase-encrypted round-trip; a wrong passphrase or edited address fails', async () => {
    const wallet = new Wallet();
    const plain = parseIdentity(JSON.stringify(await encodeIdentity(wallet)), 'f');
    expect(await identityMnemonic(plain, 'f', async () => undefined)).toBe(wallet.mnemonic);
    const sealed = await encodeIdentity(wallet, 'correct horse');
    expectNoMnemonic(JSON.stringify(sealed), wallet.mnemonic);
    expect(() => expectNoMnemonic(JSON.stringify(plain), wallet.mnemonic)).toThrow();
    const parsed = parseIdentity(JSON.stringify(sealed), 'f');
    expect(await identityMnemonic(parsed, 'f', async () => 'correct horse')).toBe(wallet.mnemonic);
    await expect(identityMnemonic(parsed, 'f', async () => 'wrong')).rejects.toThrow(/wrong passphrase/);
    const moved = parseIdentity(JSON.stringify({ ...sealed, address: new Wallet().address }), 'f');
    await expect(identityMnemonic(moved, 'f', async () => 'correct horse')).rejects.toThrow(/wrong passphrase/);
    expect(() => parseIdentity('{"kind":"other"}', 'f')).toThrow(/not a PRAG identity file/);
  });
});
