/**
 * The at-rest master key, born in the enclave: drawn from the CSPRNG inside
 * the TEE on first start and kept only in the data directory — on SecretVM
 * the KMS-unlocked encrypted volume — mode 0600. Nothing the deployer
 * supplies decides it.
 *
 * Two ways an operator-supplied key (PRAG_MASTER_KEY or PRAG_MASTER_KEY_FILE)
 * is still used:
 * - escrow (PRAG_KEY_ESCROW=operator): it is the master key. The operator can
 *   then read stored data given the volume; the key statement says
 *   `operator-escrow` and clients refuse that unless their policy allows it.
 * - migration: without escrow, a supplied key for a data directory that has
 *   no enclave key yet is an earlier deployment's. Every data key is
 *   re-wrapped under a new enclave key, after which the supplied key opens
 *   nothing (the data keys it wrapped stay the same: see OPERATOR_ERA).
 * A data directory that holds data never gets a fresh key: a missing key is
 * an error, not a reset.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyOrigin } from '../../schemas/attestation.js';
import { KeyError, MASTER_KEY_BYTES, MasterKey } from '../crypto/at-rest.js';
import { hexToBytes, isHex } from '../crypto/bytes.js';
import { Keyring } from '../store/keyring.js';
import { renameKeyFile, writeKeyFile } from './key-file.js';
import type { Stores } from '../store/index.js';

export const MASTER_KEY_FILE = 'master.key';
/** A rotation's new key, written before the re-wrap commits and renamed over the key file after. */
const NEXT_SUFFIX = '.next';

function parseKey(raw: Uint8Array, what: string): MasterKey {
  const text = new TextDecoder().decode(raw).trim().toLowerCase();
  if (isHex(text, MASTER_KEY_BYTES)) return new MasterKey(hexToBytes(text));
  if (raw.length === MASTER_KEY_BYTES) return new MasterKey(raw);
  throw new KeyError('master_key_invalid', `${what} must hold ${MASTER_KEY_BYTES} bytes, raw or as hex`);
}

/** An operator-supplied key, if any (the hex value wins over the file). */
export function suppliedMasterKey(opts: { hex?: string; file?: string }): MasterKey | undefined {
  if (opts.hex !== undefined) return parseKey(new TextEncoder().encode(opts.hex), 'PRAG_MASTER_KEY');
  if (opts.file === undefined) return undefined;
  if (!existsSync(opts.file))
    throw new KeyError('master_key_missing', `master key file ${opts.file} does not exist; nothing was changed`);
  return parseKey(new Uint8Array(readFileSync(opts.file)), opts.file);
}

export interface MasterKeyOptions {
  dataDir: string;
  supplied: MasterKey | undefined;
  escrow: boolean;
  warn(message: string): void;
}

/**
 * The data directory's keyring under the right master key, and where that
 * key came from. Runs with the stores open and the data directory locked.
 */
export function openKeyring(stores: Stores, opts: MasterKeyOptions): { keyring: Keyring; origin: KeyOrigin } {
  if (opts.escrow) {
    if (!opts.supplied)
      throw new KeyError('master_key_missing', 'escrow mode needs PRAG_MASTER_KEY or PRAG_MASTER_KEY_FILE');
    return { keyring: new Keyring(stores, opts.supplied), origin: 'operator-escrow' };
  }
  const file = join(opts.dataDir, MASTER_KEY_FILE);
  finishInterruptedRotation(stores, file);
  if (existsSync(file) && !Keyring.holdsData(stores)) {
    // A key file nothing was ever sealed under was not born here (or its first start died before using it):
    // someone could have put it there before the first start, so it is replaced, never trusted.
    opts.warn(`${file} was there before any data: replaced by a key born here`);
    rmSync(file);
  }
  if (existsSync(file)) {
    if (opts.supplied)
      opts.warn(
        'the supplied master key is ignored: this data is under a key born in the enclave, and it opens nothing',
      );
    return {
      keyring: new Keyring(stores, parseKey(new Uint8Array(readFileSync(file)), file)),
      origin: originOf(stores),
    };
  }
  if (opts.supplied && Keyring.holdsData(stores)) {
    const migrated = rotateToEnclaveKey(stores, new Keyring(stores, opts.supplied), opts.dataDir, true);
    opts.warn(
      `moved ${migrated.rewrapped} data key(s) from the supplied master key to one born in the enclave; remove the supplied key: it opens nothing now`,
    );
    return { keyring: migrated.keyring, origin: originOf(stores) };
  }
  if (opts.supplied) opts.warn('the supplied master key is ignored: new data is kept under a key born in the enclave');
  else if (Keyring.holdsData(stores))
    throw new KeyError(
      'master_key_missing',
      `${opts.dataDir} holds data but its master key (${MASTER_KEY_FILE}) is gone; restore it; nothing was changed`,
    );
  writeKeyFile(file, randomBytes(MASTER_KEY_BYTES).toString('hex'));
  return { keyring: new Keyring(stores, parseKey(new Uint8Array(readFileSync(file)), file)), origin: 'enclave' };
}

/**
 * Set when data moved off an operator-supplied key. Re-wrapping does not
 * change the owners' data keys, so whoever kept that key and a copy of the
 * volume from before can still open what those data keys seal: such a
 * directory says `operator-migrated`, which clients refuse unless allowed.
 */
const OPERATOR_ERA = 'operator_key_era';

function originOf(stores: Stores): KeyOrigin {
  return stores.facts.get(OPERATOR_ERA) === undefined ? 'enclave' : 'operator-migrated';
}

/**
 * Re-wraps every data key under a new key born here and makes it the data
 * directory's key file. The new key is written first (`.next`), the re-wrap
 * commits in one transaction, then the file is renamed into place; a crash in
 * between is finished at the next start (finishInterruptedRotation).
 */
export function rotateToEnclaveKey(
  stores: Stores,
  current: Keyring,
  dataDir: string,
  fromOperatorKey: boolean,
): { keyring: Keyring; rewrapped: number } {
  const file = join(dataDir, MASTER_KEY_FILE);
  const nextHex = randomBytes(MASTER_KEY_BYTES).toString('hex');
  writeKeyFile(file + NEXT_SUFFIX, nextHex, 'w');
  const next = new MasterKey(hexToBytes(nextHex));
  const rewrapped = stores.transaction(() => {
    if (fromOperatorKey) stores.facts.record(OPERATOR_ERA, new Date().toISOString());
    return current.rotate(next);
  });
  renameKeyFile(file + NEXT_SUFFIX, file);
  return { keyring: new Keyring(stores, next), rewrapped };
}

/** A `.next` key whose re-wrap committed becomes the key; one whose re-wrap did not is discarded. */
function finishInterruptedRotation(stores: Stores, file: string): void {
  const next = file + NEXT_SUFFIX;
  if (!existsSync(next)) return;
  if (Keyring.isCurrent(stores, parseKey(new Uint8Array(readFileSync(next)), next))) renameKeyFile(next, file);
  else rmSync(next);
}
