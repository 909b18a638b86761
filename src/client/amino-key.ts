/**
 * A Secret Network account from its mnemonic, as secretjs' Wallet derives it
 * (BIP-39 seed, BIP-32 path m/44'/529'/0'/0/0, secp256k1, bech32 `secret`
 * address of RIPEMD-160(SHA-256(compressed key))), signing amino sign docs
 * as Keplr does (SHA-256 of the sorted, escaped JSON; low-S compact ECDSA).
 * @scure/@noble only: runs in a browser, where secretjs' Node polyfills do not.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64, bech32 } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { generateMnemonic, mnemonicToSeed, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { StdSignDoc } from '../auth/secretjs.js';
import { canonicalJson, utf8ToBytes } from '../crypto/bytes.js';
import type { AminoSigner } from './credentials.js';

/** Secret Network's SLIP-44 coin type. */
const SECRET_PATH = "m/44'/529'/0'/0/0";

/** A fresh 24-word mnemonic (256 bits from the platform's CSPRNG). */
export const newMnemonic = (): string => generateMnemonic(wordlist, 256);

/** The bytes an amino signature covers: sorted JSON with `&`, `<`, `>` escaped (cosmjs serializeSignDoc). */
export function aminoSignBytes(doc: StdSignDoc): Uint8Array {
  return utf8ToBytes(
    canonicalJson(doc).replace(/[&<>]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
  );
}

export const secretAddress = (compressedPublicKey: Uint8Array): string =>
  bech32.encode('secret', bech32.toWords(ripemd160(sha256(compressedPublicKey))));

/** The signer of a mnemonic's first Secret account. */
export async function mnemonicSigner(mnemonic: string): Promise<AminoSigner> {
  if (!validateMnemonic(mnemonic, wordlist)) throw new Error('not a valid BIP-39 English mnemonic');
  const key = HDKey.fromMasterSeed(await mnemonicToSeed(mnemonic)).derive(SECRET_PATH);
  const secret = key.privateKey;
  if (!secret) throw new Error('the mnemonic derives no private key');
  const publicKey = secp256k1.getPublicKey(secret, true);
  const address = secretAddress(publicKey);
  return {
    address,
    async signAmino(signerAddress, signDoc) {
      if (signerAddress !== address) throw new Error(`this key signs for ${address}, not ${signerAddress}`);
      // prehash (SHA-256 of the sign bytes), low-S, 64-byte compact: what Cosmos verifiers expect.
      const signature = secp256k1.sign(aminoSignBytes(signDoc), secret);
      return { signature: { pub_key: { value: base64.encode(publicKey) }, signature: base64.encode(signature) } };
    },
  };
}
