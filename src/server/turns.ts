/**
 * Turns at the ingest pipeline, fair between owners. Every running upload takes a turn for each of its
 * documents (the engine's IngestOptions.turn): parsing it, chunking it and queueing it for embedding happen
 * while its owner holds the turn, and nobody else's do. A turn given back goes to the owner that has waited
 * longest, and an owner asking again queues behind those already waiting; so owners with uploads running go
 * round-robin, one document each, and an owner alone never waits.
 *
 * The turn passes to another owner only once the previous owner's documents are embedded: the embedding
 * queue is first in, first out, and an owner ingesting alone keeps it full (up to 512 chunks), so the next
 * owner's first document would otherwise wait behind all of that, and the previous owner go on meanwhile.
 */

/** Gives a turn back, with the promise of the vectors of what was queued for embedding during it. */
export type GiveBack = (embedded: Promise<unknown>) => void;

/** Why `signal` was aborted (the queue aborts with a PragError; anything else is wrapped). */
const reasonOf = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error('the wait for a turn was aborted');

/** Resolves once all `promises` have settled; rejects with the signal's reason if it aborts first. */
function allSettled(promises: Iterable<Promise<unknown>>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void Promise.allSettled(promises).then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export class FairTurns {
  private taken = false;
  /** Grants, in the order their owners asked: at most one per owner, as each owner runs one upload at a time. */
  private readonly waiting: Array<() => void> = [];
  /** The owner of the latest turns, and the embeddings queued during them that have not settled yet. */
  private latest: { owner: string; embedding: Set<Promise<unknown>> } | undefined;

  /** Waits for `owner`'s turn; aborting `signal` gives up waiting. */
  async take(owner: string, signal: AbortSignal): Promise<GiveBack> {
    await this.enter(signal);
    try {
      if (this.latest && this.latest.owner !== owner) await allSettled(this.latest.embedding, signal);
    } catch (e) {
      this.pass();
      throw e;
    }
    if (this.latest?.owner !== owner) this.latest = { owner, embedding: new Set() };
    const { embedding } = this.latest;
    let given = false;
    return (embedded) => {
      if (given) return;
      given = true;
      embedding.add(embedded);
      const settled = () => embedding.delete(embedded);
      embedded.then(settled, settled);
      this.pass();
    };
  }

  /** Resolves once the caller holds the turn: at once when it is free. */
  private enter(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (!this.taken) {
      this.taken = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(reasonOf(signal));
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands the turn to the longest waiter, or frees it. */
  private pass(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.taken = false;
  }
}
