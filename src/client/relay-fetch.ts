/**
 * fetch for a browser: Chromium sends a streamed request body only over
 * HTTP/2 or later, so a sealed request (whose body the client produces as a
 * stream) is read here first. Up to one part (4 MiB) it is sent as an
 * ordinary body; an upload larger than that is sent as consecutive parts to
 * the same origin's upload relay (`POST /v1/relay/{id}/{seq}`,
 * src/server/web-relay.ts), which streams them on to the upload route. At most
 * two parts are held at a time (one sent while the next is sealed), so a 2 GB
 * archive never takes 2 GB of the tab.
 * Every byte sent is envelope ciphertext sealed in the page.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { RELAY_PART_MAX_BYTES } from '../../schemas/api.js';
import { ROUTES } from '../../schemas/routes.js';
import { chunksOf } from '../crypto/byte-reader.js';
import { bytesToHex, concatBytes } from '../crypto/bytes.js';

/** What a part holds: half the relay's limit, so a part never needs more than one read past it. */
export const RELAY_PART_BYTES = RELAY_PART_MAX_BYTES / 2;

interface Part {
  bytes: Uint8Array;
  last: boolean;
}

/**
 * Reads a byte stream as parts of exactly `size` bytes (the last one shorter),
 * each with whether it is the last.
 */
async function* partsOf(stream: ReadableStream<Uint8Array>, size: number): AsyncGenerator<Part> {
  let pending: Uint8Array[] = [];
  let held = 0;
  const take = () => {
    const all = concatBytes(...pending);
    pending = all.length > size ? [all.slice(size)] : [];
    held = all.length > size ? all.length - size : 0;
    return all.subarray(0, size);
  };
  for await (const chunk of chunksOf(stream)) {
    pending.push(chunk);
    held += chunk.length;
    // A part is yielded only once more bytes are known to follow it.
    while (held > size) yield { bytes: take(), last: false };
  }
  yield { bytes: take(), last: true };
}

/** Wraps a fetch so sealed request bodies (ReadableStreams) reach the service over HTTP/1.1. */
export function relayingFetch(base: typeof fetch = (...args) => fetch(...args)): typeof fetch {
  return async (input, init) => {
    const body = init?.body;
    if (!(body instanceof ReadableStream)) return base(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input), globalThis.location?.href);
    // Bodies sent from here are whole bytes: the streaming `duplex` option does not apply to them.
    const rest: RequestInit & { duplex?: string } = { ...init };
    delete rest.duplex;
    const parts = partsOf(body as ReadableStream<Uint8Array>, RELAY_PART_BYTES);
    const first = await parts.next();
    if (first.done) return base(url, { ...rest, body: new Uint8Array() });
    if (first.value.last) return base(url, { ...rest, body: first.value.bytes as Uint8Array<ArrayBuffer> });
    if (url.pathname !== ROUTES.upload.path) {
      await parts.return(undefined);
      throw new TypeError(`a request body above ${RELAY_PART_BYTES} bytes is only relayed to the upload route`);
    }
    const id = bytesToHex(randomBytes(16));
    let part: IteratorResult<Part> = first;
    for (let seq = 0; !part.done; seq++) {
      const relayUrl = new URL(`/v1/relay/${id}/${seq}${part.value.last ? '?last=1' : ''}`, url);
      const sending = base(relayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: part.value.bytes as Uint8Array<ArrayBuffer>,
        signal: rest.signal,
      });
      // The next part is read and sealed while this one travels: two parts at most are held.
      const upcoming: Promise<IteratorResult<Part>> | undefined = part.value.last ? undefined : parts.next();
      upcoming?.catch(() => undefined);
      const res = await sending;
      // 204: taken, send the next part. Anything else is the upload route's answer (or the relay's refusal).
      if (res.status !== 204 || !upcoming) {
        if (upcoming) await upcoming.then(() => parts.return(undefined)).catch(() => undefined);
        return res;
      }
      part = await upcoming;
    }
    throw new TypeError('the upload ended without its last part');
  };
}
