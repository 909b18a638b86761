/**
 * The service's long-term Ed25519 key (it signs the key statement, epoch
 * keys, nonces and answer receipts). Drawn from the CSPRNG inside the TEE on
 * first start and kept only in the data directory — on SecretVM the
 * KMS-unlocked encrypted volume — mode 0600; nothing the deployer supplies
 * decides it, and it never leaves the VM. Restarts and upgrades of the same
 * VM find it there, so clients' pinned statements stay valid.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from '../crypto/at-rest.js';
import { bytesToHex, hexToBytes, isHex } from '../crypto/bytes.js';

export const SERVICE_KEY_FILE = 'service.key';

export interface SigningKey {
  secret: Uint8Array;
  public: Uint8Array;
}

export function loadOrCreateServiceKey(dataDir: string): SigningKey {
  const file = join(dataDir, SERVICE_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another process just wrote.
    writeFileSync(file, `${bytesToHex(ed25519.utils.randomSecretKey())}\n`, { mode: 0o600, flag: 'wx' });
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!isHex(text, 32)) throw new KeyError('master_key_invalid', `${file} does not hold a 32-byte key`);
  const secret = hexToBytes(text);
  return { secret, public: ed25519.getPublicKey(secret) };
}
