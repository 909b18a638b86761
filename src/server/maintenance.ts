/**
 * Index upkeep for the service. New rows are searchable at once (LanceDB
 * scans what its indexes do not cover yet), so folding them in can wait:
 * after a write, maintenance runs once writes have been quiet for a moment,
 * or after every `everyWrites` writes when they never pause (each write adds
 * a table version and fragment, and queries slow down as they pile up), one
 * run at a time. Only the very first keyword index is built before the
 * upload is answered, since keyword search needs an index to exist.
 */
import type { Engine } from '../engine/engine.js';

export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private writes = 0;

  constructor(
    private readonly engine: Engine,
    private readonly onError: (e: Error) => void,
    private readonly quietMs = 2000,
    private readonly everyWrites = 50,
  ) {}

  async afterWrite(): Promise<void> {
    if (!this.engine.vectors.keywordIndexed) return this.run();
    if (++this.writes >= this.everyWrites) {
      void this.run();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.quietMs);
    this.timer.unref();
  }

  private run(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writes = 0;
    // A failed run is reported and retried at the next write; searches stay correct meanwhile (unindexed rows are scanned).
    this.running = this.running.then(() => this.engine.maintain()).catch((e: Error) => this.onError(e));
    return this.running;
  }

  /** Runs what is pending, for a clean shutdown. */
  async stop(): Promise<void> {
    if (this.timer) await this.run();
    await this.running;
  }
}
