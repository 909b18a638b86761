/**
 * Separates `<think>…</think>` reasoning (DeepSeek-R1 style, emitted inside
 * the content stream) from the answer, across arbitrary chunk boundaries: a
 * chunk ending in a partial tag is held back until the next one decides it.
 */
import type { LlmEvent } from './types.js';

const OPEN = '<think>';
const CLOSE = '</think>';

/** Length of the longest suffix of `s` that is a proper prefix of `tag`. */
function partialTagAt(s: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, s.length); n > 0; n--) if (s.endsWith(tag.slice(0, n))) return n;
  return 0;
}

export class ThinkSplitter {
  private thinking = false;
  private held = '';

  push(chunk: string): LlmEvent[] {
    const events: LlmEvent[] = [];
    let s = this.held + chunk;
    this.held = '';
    for (;;) {
      const tag = this.thinking ? CLOSE : OPEN;
      const at = s.indexOf(tag);
      if (at < 0) break;
      this.emit(events, s.slice(0, at));
      s = s.slice(at + tag.length);
      this.thinking = !this.thinking;
    }
    const keep = partialTagAt(s, this.thinking ? CLOSE : OPEN);
    this.emit(events, s.slice(0, s.length - keep));
    this.held = s.slice(s.length - keep);
    return events;
  }

  /** The end of the stream: a held partial tag was text after all. */
  flush(): LlmEvent[] {
    const events: LlmEvent[] = [];
    this.emit(events, this.held);
    this.held = '';
    return events;
  }

  private emit(events: LlmEvent[], text: string): void {
    if (text) events.push({ type: this.thinking ? 'reasoning' : 'text', text });
  }
}
