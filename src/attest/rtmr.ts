/**
 * RTMR3 replay for SecretVM (../shared/docs/secret-platform.md §2.3, after
 * secretvm-verify node/src/rtmr.ts): mr₀ = 48 zero bytes, mrᵢ = SHA-384(mrᵢ₋₁ ‖ entryᵢ)
 * with each entry zero-padded to 48 bytes.
 *  - attest-tool scheme (KMS "contract"): entries sha256(compose), rootfs_data[, sha256(docker-files.tar)];
 *  - dstack scheme (KMS "dstack"): events app-id, compose-hash, os-image-hash[, docker-files-hash],
 *    each entry SHA-384(LE32(0x08000001) ‖ ":" ‖ name ‖ ":" ‖ payload).
 */
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '../crypto/bytes.js';

const RTMR_BYTES = 48;
const DSTACK_EVENT_TYPE = new Uint8Array([0x01, 0x00, 0x00, 0x08]); // 0x08000001 little-endian

function pad48(entry: Uint8Array): Uint8Array {
  if (entry.length > RTMR_BYTES) throw new Error('RTMR entry longer than 48 bytes');
  const out = new Uint8Array(RTMR_BYTES);
  out.set(entry);
  return out;
}

function replayRtmr(entries: readonly Uint8Array[]): Uint8Array {
  let mr: Uint8Array = new Uint8Array(RTMR_BYTES);
  for (const entry of entries) mr = sha384(concatBytes(mr, pad48(entry)));
  return mr;
}

function dstackEvent(name: string, payload: Uint8Array): Uint8Array {
  return sha384(concatBytes(DSTACK_EVENT_TYPE, utf8ToBytes(`:${name}:`), payload));
}

export interface Rtmr3Input {
  compose: Uint8Array;
  rootfsData: Uint8Array;
  scheme: 'attest-tool' | 'dstack';
  dstackAppId?: Uint8Array;
  dockerFilesSha256?: Uint8Array;
}

export function expectedRtmr3(input: Rtmr3Input): Uint8Array {
  const composeHash = sha256(input.compose);
  if (input.scheme === 'attest-tool') {
    return replayRtmr([composeHash, input.rootfsData, ...(input.dockerFilesSha256 ? [input.dockerFilesSha256] : [])]);
  }
  if (!input.dstackAppId) throw new Error('the dstack scheme needs the app id');
  return replayRtmr([
    dstackEvent('app-id', input.dstackAppId),
    dstackEvent('compose-hash', composeHash),
    dstackEvent('os-image-hash', input.rootfsData),
    ...(input.dockerFilesSha256 ? [dstackEvent('docker-files-hash', input.dockerFilesSha256)] : []),
  ]);
}
