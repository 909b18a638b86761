/**
 * Trust on first use in a page: the first verified attestation of a service
 * URL (dev evidence when allowed; hardware evidence only with a policy) is
 * pinned in the browser (localStorage), and every later one must show the
 * same service id, provider and measurements.
 * A difference is a loud error naming what changed (a redeploy changes the
 * service id: the user re-pins knowingly, with `forget`).
 */
import { z } from 'zod';
import type { AttestationDetails } from './verify.js';

const STORAGE_KEY = 'prag.pins.v1';

const Pin = z.object({
  serviceId: z.string(),
  provider: z.string(),
  keyOrigin: z.string(),
  measurements: z.record(z.string(), z.string()).optional(),
  composeSha256: z.string().optional(),
  pinnedAt: z.string(),
});
export type Pin = z.infer<typeof Pin>;

export class PinMismatchError extends Error {
  override name = 'PinMismatchError';

  constructor(
    readonly url: string,
    /** The pinned fields that differ now. */
    readonly changed: string[],
  ) {
    super(
      `the service at ${url} is not the one pinned in this browser: ${changed.join(', ')} changed. ` +
        'If its operator announced a redeploy, verify the new attestation and re-pin; otherwise do not use it.',
    );
  }
}

/** A small key-value store: localStorage in a page, anything with the same two methods elsewhere. */
export interface PinStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export class Pins {
  constructor(private readonly storage: PinStorage = globalThis.localStorage) {}

  private all(): Record<string, Pin> {
    const parsed = z.record(z.string(), Pin).safeParse(JSON.parse(this.storage.getItem(STORAGE_KEY) ?? '{}'));
    return parsed.success ? parsed.data : {};
  }

  get(url: string): Pin | undefined {
    return this.all()[url];
  }

  /** Pins what a verified attestation showed. */
  pin(url: string, details: AttestationDetails): Pin {
    if (!details.verified) throw new Error('only a verified attestation can be pinned');
    const pin: Pin = {
      serviceId: details.serviceId,
      provider: details.provider,
      keyOrigin: details.keyOrigin,
      measurements: details.measurements,
      composeSha256: details.composeSha256,
      pinnedAt: new Date().toISOString(),
    };
    this.storage.setItem(STORAGE_KEY, JSON.stringify({ ...this.all(), [url]: pin }));
    return pin;
  }

  /** Throws PinMismatchError when `details` differ from the pin; pins on first use. */
  check(url: string, details: AttestationDetails): Pin {
    const pin = this.get(url);
    if (!pin) return this.pin(url, details);
    const changed = [
      pin.serviceId !== details.serviceId && 'service id',
      pin.provider !== details.provider && 'TEE provider',
      pin.keyOrigin !== details.keyOrigin && 'key origin',
      pin.composeSha256 !== details.composeSha256 && 'docker-compose',
      ...Object.entries(pin.measurements ?? {})
        .filter(([k, v]) => details.measurements?.[k as keyof NonNullable<AttestationDetails['measurements']>] !== v)
        .map(([k]) => k.toUpperCase()),
    ].filter((c): c is string => typeof c === 'string');
    if (!pin.measurements && details.measurements) changed.push('measurements (pinned without hardware evidence)');
    if (changed.length) throw new PinMismatchError(url, changed);
    return pin;
  }

  /** Removes a pin (the user re-pins a redeployed service knowingly). */
  forget(url: string): void {
    const pins = this.all();
    delete pins[url];
    this.storage.setItem(STORAGE_KEY, JSON.stringify(pins));
  }
}
