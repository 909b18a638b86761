/**
 * `npm run bench:envelope -- [--mb N]`: Envelope v1 seal and open throughput
 * on an N MB stream (default 256) fed in 1 MiB pieces, with peak RSS (the
 * stream is never held whole). Prints one JSON object.
 *   seal: the envelope is produced and discarded;
 *   open: the same stream sealed and opened in one pipeline, minus the seal time.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { openEnvelope, recipient as recipientKeys, sealEnvelope } from '../crypto/envelope.js';
import { machine, peakRssMb, round } from './stats.js';
import { Command } from '../cli/commander.js';

const { mb } = new Command()
  .option('--mb <n>', 'stream size in MiB', (v) => Number(v), 256)
  .parse()
  .opts();
const size = mb * 1024 * 1024;
const piece = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) % 251);
const secret = x25519.utils.randomSecretKey();
const recipient = x25519.getPublicKey(secret);

async function* payload(): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < size; sent += piece.length) yield piece.subarray(0, Math.min(piece.length, size - sent));
}
const header = { type: 'application/octet-stream', name: 'bench.bin', size, meta: {} };

let t = performance.now();
let sealedBytes = 0;
for await (const part of sealEnvelope(recipient, header, payload()).stream) sealedBytes += part.length;
const sealSeconds = (performance.now() - t) / 1000;

t = performance.now();
const opened = await openEnvelope(recipientKeys(secret, recipient), sealEnvelope(recipient, header, payload()).stream, {
  maxPayloadBytes: size,
});
let openedBytes = 0;
for await (const part of opened.payload) openedBytes += part.length;
const pipelineSeconds = (performance.now() - t) / 1000;
if (openedBytes !== size) throw new Error(`opened ${openedBytes} of ${size} bytes`);

process.stdout.write(
  `${JSON.stringify({
    machine: machine(),
    mib: mb,
    envelope_bytes: sealedBytes,
    overhead_bytes: sealedBytes - size,
    seal_mb_per_s: round(mb / sealSeconds, 1),
    open_mb_per_s: round(mb / (pipelineSeconds - sealSeconds), 1),
    seal_then_open_mb_per_s: round(mb / pipelineSeconds, 1),
    peak_rss_mb: peakRssMb(),
  })}\n`,
);
