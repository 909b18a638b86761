/**
 * The upload relay: a browser cannot stream a request body over HTTP/1.1
 * (Chromium refuses streamed fetch bodies unless the connection is HTTP/2 or
 * later), so the page sends an upload's envelope — sealed in the page, one
 * Envelope v1 stream — as consecutive parts, and this relay writes them, in
 * order and with back-pressure, into one streamed request to the upload route.
 * It sees only ciphertext; the envelope's segments are authenticated by the
 * upload route as always, so a part that is lost, repeated or altered fails
 * the upload there.
 *
 * `POST /v1/relay/{id}/{seq}` (`?last=1` on the final part), body at most
 * RELAY_PART_MAX_BYTES. `id` is 16 random bytes (hex) chosen by the client:
 * only its holder can add parts. A part is answered `204` once the upload
 * route has taken its bytes; the final part (or any part, once the upload
 * route has answered early, e.g. a refused permit) is answered with the upload
 * route's own response.
 */
import type { Context, Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RELAY_PART_MAX_BYTES } from '../../schemas/api.js';
import { errorBody, ERROR_STATUS, type ErrorCode } from '../../schemas/errors.js';
import { clientKey, remoteAddress } from './pipeline/client-rate-limit.js';

/** Sends a streamed envelope on to the upload route; resolves with its response. `first` is part 0's request. */
export type RelayForward = (
  body: ReadableStream<Uint8Array>,
  first: { url: string; env: unknown },
) => Promise<Response>;

/** Relays open at once (one per upload in progress), and how long one may wait for its next part. */
const MAX_RELAYS = 64;
const IDLE_MS = 60_000;
/** Relays one network client may hold (keyed as its rate-limit bucket): one client cannot take every slot. */
const MAX_RELAYS_PER_CLIENT = 8;
/** A part's body must arrive within this: a client sending slowly does not hold a slot for the server's timeout. */
const PART_READ_MS = 60_000;

interface Relay {
  /** The network client that opened it. */
  client: string;
  next: number;
  /** A part's body is being read: another part of this relay is refused meanwhile. */
  reading: boolean;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  response: Promise<Response>;
  timer: NodeJS.Timeout;
}

const refuse = (c: Context, code: ErrorCode) => c.json(errorBody(code), ERROR_STATUS[code]);

export function mountRelay<E extends Env>(app: Hono<E>, forward: RelayForward): void {
  const relays = new Map<string, Relay>();
  // First parts whose bodies are being read count against MAX_RELAYS too: the cap holds however many arrive at once.
  const opening = new Map<string, string>();
  const heldBy = (client: string) =>
    [...relays.values()].filter((r) => r.client === client).length +
    [...opening.values()].filter((k) => k === client).length;

  const drop = (id: string, relay: Relay, reason?: unknown) => {
    clearTimeout(relay.timer);
    relays.delete(id);
    if (reason !== undefined) relay.writer.abort(reason).catch(() => undefined);
  };
  const idle = (id: string, relay: Relay) =>
    setTimeout(() => drop(id, relay, new Error('the upload relay timed out waiting for a part')), IDLE_MS).unref();

  const open = (id: string, client: string, first: { url: string; env: unknown }): Relay => {
    // Identity transform: each write resolves once the upload route has read the part before it.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const relay: Relay = {
      client,
      next: 0,
      reading: false,
      writer: writable.getWriter(),
      response: forward(readable, first),
      timer: setTimeout(() => undefined, 0),
    };
    relay.timer = idle(id, relay);
    // Whatever happens to the upload, a relay that answered is gone.
    relay.response.catch(() => undefined);
    relays.set(id, relay);
    return relay;
  };

  app.post(
    '/v1/relay/:id/:seq',
    bodyLimit({ maxSize: RELAY_PART_MAX_BYTES, onError: (c) => refuse(c, 'relay_part_too_large') }),
    async (c) => {
      const id = c.req.param('id');
      const seq = Number(c.req.param('seq'));
      const last = c.req.query('last') === '1';
      if (!/^[0-9a-f]{32}$/.test(id) || !Number.isSafeInteger(seq) || seq < 0) return refuse(c, 'relay_invalid');
      // Placed, and its slot taken, before its body is read: a part with nowhere to go costs no memory, and
      // parts sent before earlier ones' bodies end cannot pass the checks together.
      const known = relays.get(id);
      if (!known && seq !== 0) return refuse(c, 'relay_unknown');
      if (known?.reading || opening.has(id)) return refuse(c, 'relay_invalid');
      const client = clientKey(remoteAddress(c) ?? 'in-process');
      if (!known && (relays.size + opening.size >= MAX_RELAYS || heldBy(client) >= MAX_RELAYS_PER_CLIENT))
        return refuse(c, 'relay_busy');
      if (known && seq !== known.next) {
        drop(id, known, new Error('upload relay parts out of order'));
        return refuse(c, 'relay_invalid');
      }
      if (known) known.reading = true;
      else opening.set(id, client);
      let bytes: Uint8Array;
      let slow: NodeJS.Timeout | undefined;
      try {
        const tooSlow = new Promise<never>((_, reject) => {
          slow = setTimeout(() => reject(new Error('an upload relay part arrived too slowly')), PART_READ_MS);
        });
        bytes = new Uint8Array(await Promise.race([c.req.arrayBuffer(), tooSlow]));
      } catch (e) {
        if (known) drop(id, known, e);
        throw e;
      } finally {
        clearTimeout(slow);
        opening.delete(id);
        if (known) known.reading = false;
      }
      const current = known ?? open(id, client, { url: c.req.url, env: c.env });
      clearTimeout(current.timer);
      current.next++;
      const sent = (async () => {
        await current.writer.write(bytes);
        if (last) await current.writer.close();
      })();
      sent.catch(() => undefined);
      // The upload route may answer before it has read everything (a refusal): that answer goes to this part.
      const early = await Promise.race([sent.then(() => undefined), current.response]).catch(() => current.response);
      if (early) {
        drop(id, current, new Error('the upload route answered before the last part'));
        return early;
      }
      if (last) {
        drop(id, current);
        return (await current.response.catch(() => undefined)) ?? refuse(c, 'internal');
      }
      current.timer = idle(id, current);
      return c.body(null, 204);
    },
  );
}
