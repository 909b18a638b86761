/**
 * The client against a look-alike server on loopback that never stops
 * sending: what the client reads is bounded whatever the server sends, so it
 * fails (and lets go of the connection) instead of buffering without end.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { AttestationError } from '../../src/attest/errors.js';
import { PragClient, ServiceError } from '../../src/client/session.js';

const MIB = 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 0x61);

interface EndlessServer {
  url: string;
  /** Bytes written until the client went away, once it has. */
  sent: Promise<number>;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** Answers every request with `status` and a body that never ends, written as fast as the client takes it. */
async function endless(status: number): Promise<EndlessServer> {
  let done: (bytes: number) => void = () => undefined;
  const sent = new Promise<number>((resolve) => (done = resolve));
  server = createServer((_req, res: ServerResponse) => {
    let bytes = 0;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.on('close', () => done(bytes));
    const pump = () => {
      while (!res.destroyed) {
        bytes += PIECE.length;
        if (!res.write(PIECE)) return void res.once('drain', pump);
      }
    };
    res.write('{"statement":"');
    pump();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent };
}

test('an endless attestation body fails the "response" check after 4 MiB and closes the connection', async () => {
  const fake = await endless(200);
  const failure: unknown = await PragClient.connect(fake.url, { allowInsecureDev: true }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(AttestationError);
  expect(failure).toMatchObject({ check: 'response' });
  // What the server got out before the client let go: the 4 MiB read plus what the sockets buffer, no more.
  expect(await fake.sent).toBeLessThan(16 * MIB);
});

test('an endless error body is read no further than an error needs, and still fails as the status it had', async () => {
  const fake = await endless(502);
  const failure: unknown = await PragClient.connect(fake.url, { allowInsecureDev: true }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ServiceError);
  expect(failure).toMatchObject({ status: 502, code: 'http_error' });
  expect(await fake.sent).toBeLessThan(16 * MIB);
});
