/**
 * The service's long-term Ed25519 key (it signs the key statement, epoch
 * keys, nonces and answer receipts). Drawn from the CSPRNG inside the TEE on
 * first start and kept only in the data directory — on SecretVM the
 * KMS-unlocked encrypted volume — mode 0600; nothing the deployer supplies
 * decides it, and it never leaves the VM. Restarts and upgrades of the same
 * VM find it there, so clients' pinned statements stay valid.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from '../crypto/at-rest.js';
import { bytesToHex, hexToBytes, isHex } from '../crypto/bytes.js';
import type { Stores } from '../store/index.js';
import { writeKeyFile } from './key-file.js';

const SERVICE_KEY_FILE = 'service.key';
/** The hash of the public key this directory made, recorded with the data when the key is born. */
const SERVICE_KEY_FACT = 'service_key_sha256';

export interface SigningKey {
  secret: Uint8Array;
  public: Uint8Array;
}

const fingerprint = (publicKey: Uint8Array) => bytesToHex(sha256(publicKey));

function read(file: string): SigningKey {
  const text = readFileSync(file, 'utf8').trim();
  if (!isHex(text, 32)) throw new KeyError('master_key_invalid', `${file} does not hold a 32-byte key`);
  const secret = hexToBytes(text);
  return { secret, public: ed25519.getPublicKey(secret) };
}

export function loadOrCreateServiceKey(
  dataDir: string,
  stores: Pick<Stores, 'facts'>,
  warn: (m: string) => void,
): SigningKey {
  const file = join(dataDir, SERVICE_KEY_FILE);
  const recorded = stores.facts.get(SERVICE_KEY_FACT);
  if (existsSync(file)) {
    const key = read(file);
    if (recorded === fingerprint(key.public)) return key;
    // Not the key this directory recorded making: put there from outside (or its first start died
    // before recording it). Never trusted; a new one is born.
    if (recorded !== undefined)
      throw new KeyError('master_key_mismatch', `${file} is not the service key this data directory made`);
    warn(`${file} was not made here: replaced by a key born here`);
    rmSync(file);
  }
  writeKeyFile(file, bytesToHex(ed25519.utils.randomSecretKey()));
  const key = read(file);
  stores.facts.set(SERVICE_KEY_FACT, fingerprint(key.public));
  return key;
}
