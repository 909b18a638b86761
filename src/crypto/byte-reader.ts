/**
 * Exact-length reads from a byte stream that arrives in arbitrary pieces
 * (HTTP bodies, file streams). Web-standard only: usable in a browser.
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Uint8Array[] = [];
  private buffered = 0;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Buffers until `n` bytes are available or the stream ends; returns what is buffered. */
  private async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.done) {
      const next = await this.it.next();
      if (next.done) this.done = true;
      else if (next.value.length) {
        this.pending.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered;
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.pending[0];
      if (!head) throw new Error('ByteReader: took more bytes than are buffered');
      const used = Math.min(head.length, n - at);
      out.set(head.subarray(0, used), at);
      at += used;
      if (used === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(used);
    }
    this.buffered -= n;
    return out;
  }

  /** Exactly `n` bytes, or null when the stream ends first (what was there is kept). */
  async exactly(n: number): Promise<Uint8Array | null> {
    return (await this.fill(n)) >= n ? this.take(n) : null;
  }

  /**
   * Up to `n` bytes, and whether the stream ends right after them. Looks one
   * byte ahead, so a reader can tell a full last segment from a full middle one.
   */
  async upTo(n: number): Promise<{ bytes: Uint8Array; last: boolean }> {
    const have = await this.fill(n + 1);
    const bytes = this.take(Math.min(n, have));
    return { bytes, last: have <= n };
  }

  /** Stops reading the source (and lets it release its resources). */
  async cancel(): Promise<void> {
    this.pending = [];
    this.buffered = 0;
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}

/** A Web ReadableStream as an async iterable (not every runtime makes streams iterable). */
export async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
