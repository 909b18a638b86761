/**
 * The upload relay's bounds hold against parts whose bodies are still
 * arriving: a client cannot get past the cap on open relays, nor have two
 * parts of one relay read at once, by sending many requests before their
 * bodies end (each would otherwise hold up to 8 MiB while it is read).
 */
import { Hono } from 'hono';
import { describe, expect, test } from 'vitest';
import { mountRelay } from '../../src/server/web-relay.js';

/** A request body that sends one byte and ends only when `end` is called. */
function heldBody() {
  let end = () => undefined as void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1]));
      end = () => controller.close();
    },
  });
  return { body, end: () => end() };
}

function relayApp() {
  const app = new Hono();
  const received: number[] = [];
  let opened = 0;
  mountRelay(app, (body) => {
    opened++;
    // The upload route reads the envelope as it comes and has not answered yet.
    void body.pipeTo(new WritableStream({ write: (chunk) => void received.push(chunk.length) }));
    return new Promise<Response>(() => undefined);
  });
  /** A part from network client `from` (its socket's address, as @hono/node-server hands it over). */
  const post = (
    id: string,
    seq: number,
    body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>,
    from = '192.0.2.1',
  ) =>
    Promise.resolve(
      app.fetch(
        new Request(`http://relay.test/v1/relay/${id}/${seq}`, { method: 'POST', body, duplex: 'half' } as RequestInit),
        { incoming: { socket: { remoteAddress: from, remotePort: 40000, remoteFamily: 'IPv4' } } },
      ),
    );
  return { post, received, opened: () => opened };
}

const idOf = (n: number) => n.toString(16).padStart(32, '0');

describe('the upload relay', () => {
  test('no more than 64 relays open, however many first parts arrive at once', async () => {
    const { post, opened } = relayApp();
    const held = Array.from({ length: 70 }, () => heldBody());
    // From ten clients, seven each: under the per-client cap, so only the overall cap refuses.
    const answers = held.map((h, i) => post(idOf(i + 1), 0, h.body, `192.0.2.${(i % 10) + 1}`));
    for (const h of held) h.end();
    const statuses = (await Promise.all(answers)).map((r) => r.status);
    expect(statuses.filter((s) => s === 204).length).toBe(64);
    expect(statuses.filter((s) => s === 503).length).toBe(6);
    expect(opened()).toBe(64);
  });

  test('one network client holds at most 8 relays; others still get theirs', async () => {
    const { post, opened } = relayApp();
    const mine = await Promise.all(Array.from({ length: 9 }, (_, i) => post(idOf(i + 1), 0, new Uint8Array(1))));
    expect(mine.map((r) => r.status)).toEqual([...Array<number>(8).fill(204), 503]);
    expect((await post(idOf(100), 0, new Uint8Array(1), '198.51.100.7')).status).toBe(204);
    expect(opened()).toBe(9);
  });

  test('a part whose number is already being received is refused, not read or written twice', async () => {
    const { post, received } = relayApp();
    const id = idOf(1);
    expect((await post(id, 0, new Uint8Array(10))).status).toBe(204);
    const [a, b] = [heldBody(), heldBody()];
    const answers = [post(id, 1, a.body), post(id, 1, b.body)];
    a.end();
    b.end();
    const statuses = (await Promise.all(answers)).map((r) => r.status).sort();
    expect(statuses).toEqual([204, 400]);
    expect(received).toEqual([10, 1]);
  });
});
