/**
 * Short-lived X25519 keys that requests are sealed to, for forward secrecy:
 * each is offered for one period, accepted for one more (so a client that
 * fetched it at the last moment still has a full period to use it), then its
 * secret is overwritten and forgotten. They live only in this process's
 * memory, so a restart also forgets them. A recorded request (and its
 * reply, whose keys derive from the same exchange) can therefore be opened
 * for at most two periods after its key was made — not later, not with the
 * long-term signing key, not by anyone who reads the volume afterwards.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from './bytes.js';
import { keyId } from './envelope.js';

export interface EpochKey {
  secret: Uint8Array;
  public: Uint8Array;
  kid: Uint8Array;
  /** ms since the epoch: offered to clients until then… */
  notAfter: number;
  /** …and accepted until then. */
  acceptUntil: number;
}

export class EpochKeys {
  private readonly keys: EpochKey[] = [];

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(periodMs > 0)) throw new RangeError('the epoch key period must be positive');
  }

  /** The key to offer now (a new one once the current one's period is over). */
  current(): EpochKey {
    const now = this.now();
    this.purge(now);
    const newest = this.keys.at(-1);
    if (newest && now < newest.notAfter) return newest;
    const secret = x25519.utils.randomSecretKey();
    const pub = x25519.getPublicKey(secret);
    const key = {
      secret,
      public: pub,
      kid: keyId(pub),
      notAfter: now + this.periodMs,
      acceptUntil: now + 2 * this.periodMs,
    };
    this.keys.push(key);
    return key;
  }

  /** The key a request names by its kid, while it is still accepted. */
  forKid(kid: Uint8Array): EpochKey | undefined {
    this.purge(this.now());
    const wanted = bytesToHex(kid);
    return this.keys.find((k) => bytesToHex(k.kid) === wanted);
  }

  /** Overwrites and forgets every key past its acceptance window. */
  purge(now = this.now()): void {
    while (this.keys[0] && this.keys[0].acceptUntil <= now) this.keys.shift()?.secret.fill(0);
  }

  /** Overwrites and forgets every key (shutdown). */
  clear(): void {
    for (const key of this.keys.splice(0)) key.secret.fill(0);
  }
}
