/**
 * The service's own keys: X25519 (clients encrypt to it) and Ed25519 (it
 * signs statements and nonces). Derived from the KMS master key they survive
 * restarts, so clients' pinned statements and cached envelopes stay valid;
 * generated at start they live only in this process's memory.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import type { MasterKey } from './at-rest.js';
import { keyId } from './envelope.js';

export interface ServiceKeys {
  origin: 'derived' | 'generated';
  x25519: { secret: Uint8Array; public: Uint8Array };
  ed25519: { secret: Uint8Array; public: Uint8Array };
  kid: Uint8Array;
}

export function serviceKeys(master: MasterKey | null): ServiceKeys {
  const xs = master ? master.seed('service x25519') : x25519.utils.randomSecretKey();
  const es = master ? master.seed('service ed25519') : ed25519.utils.randomSecretKey();
  const xp = x25519.getPublicKey(xs);
  return {
    origin: master ? 'derived' : 'generated',
    x25519: { secret: xs, public: xp },
    ed25519: { secret: es, public: ed25519.getPublicKey(es) },
    kid: keyId(xp),
  };
}
