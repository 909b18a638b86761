/**
 * What the upload queue knows of its uploads in flight (queued or running), in memory only: how far each has
 * come through parse → embed → store, and a signal to whoever follows them whenever anything changes.
 * Nothing here is logged or counted in metrics: an upload's name and progress are its owner's.
 */
import type { UploadProgress } from '../../schemas/api.js';
import type { IngestProgress } from '../engine/engine.js';

interface Flight {
  running: boolean;
  size: number;
  /** performance.now() when the ingest started. */
  started: number;
  bytesRead: number;
  ingest: IngestProgress | undefined;
}

export class UploadTracker {
  private readonly flights = new Map<string, Flight>();
  private next = changeSignal();

  queued(id: string, size: number): void {
    this.flights.set(id, { running: false, size, started: 0, bytesRead: 0, ingest: undefined });
    this.changed();
  }

  running(id: string): void {
    const flight = this.flights.get(id);
    if (!flight) return;
    flight.running = true;
    flight.started = performance.now();
    this.changed();
  }

  read(id: string, bytes: number): void {
    const flight = this.flights.get(id);
    if (!flight) return;
    flight.bytesRead = Math.min(flight.size, flight.bytesRead + bytes);
    this.changed();
  }

  ingested(id: string, progress: IngestProgress): void {
    const flight = this.flights.get(id);
    if (!flight) return;
    flight.ingest = progress;
    this.changed();
  }

  /** The upload has finished (its outcome is recorded) or left the queue. */
  landed(id: string): void {
    if (this.flights.delete(id)) this.changed();
  }

  /** Resolves at the next change of any upload in flight. */
  nextChange(): Promise<void> {
    return this.next.promise;
  }

  /** `queued` or `running` with its progress, or undefined when the upload is not in flight. */
  state(id: string): { state: 'queued' | 'running'; progress: UploadProgress } | undefined {
    const flight = this.flights.get(id);
    return flight && { state: flight.running ? 'running' : 'queued', progress: progressOf(flight) };
  }

  private changed(): void {
    this.next.resolve();
    this.next = changeSignal();
  }
}

function changeSignal(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function progressOf(flight: Flight): UploadProgress {
  const p = flight.ingest;
  const elapsed = flight.running ? (performance.now() - flight.started) / 1000 : 0;
  const embedded = p?.embeddedChunks ?? 0;
  const queued = p?.queuedChunks ?? 0;
  const rate = elapsed > 0 ? embedded / elapsed : 0;
  // While the file is still being read, its chunks so far scale with the share of its bytes read.
  const expected =
    p?.stage !== 'parsing'
      ? queued
      : flight.bytesRead && queued
        ? (queued * flight.size) / flight.bytesRead
        : undefined;
  return {
    stage: flight.running ? (p?.stage ?? 'parsing') : 'queued',
    bytes_read: flight.bytesRead,
    documents: { parsed: p?.parsed ?? 0, stored: p?.documents ?? 0, skipped: p?.skipped ?? 0, failed: p?.failed ?? 0 },
    chunks: { queued, embedded, stored: p?.chunks ?? 0 },
    elapsed_s: round(elapsed),
    chunks_per_s: round(rate),
    eta_s: expected !== undefined && rate > 0 ? round(Math.max(0, expected - embedded) / rate) : null,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
