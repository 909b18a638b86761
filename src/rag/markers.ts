/**
 * Citation markers in a streamed answer. Text passes through as it arrives,
 * except that a `[`-run that may still become a marker is held until it is
 * decided, and so are the few characters before it that would dangle if it
 * were removed. A marker keeps only the numbers of retrieved sources, in the
 * canonical form `[1, 2]` (`[ 2 ]`, `[source 2]`, `[#2]`, `[^2]`, `[2-3]` are
 * read as markers too); one naming none of them is removed together with what
 * only it gave meaning to: the space before it, a lead-in ("see also", "and",
 * "(") and the punctuation or bracket that would double up after it. So no
 * `[n]` without a source, and no `See also .` or `(, )`, reaches the
 * requester. Control characters from the model are dropped on the way.
 */
const MARKER =
  /^\[\s*(?:(?:sources?|refs?|passages?|docs?)\s*:?\s*)?[#^]?\d{1,3}(?:\s*(?:,|;|-|–|and)\s*[#^]?\d{1,3})*\s*,?\s*\]/i;
/** A `[`-run longer than this, or spanning a line, is plain text. */
const MAX_MARKER_CHARS = 32;
/** What an unclosed `[`-run at the end of the answer must look like to be a cut-off marker rather than text. */
const MARKER_START = /^\[\s*(?:(?:sources?|refs?|passages?|docs?)\s*:?\s*)?[#^]?\d/i;
/** Words and signs that introduce a marker and mean nothing once it is gone; never a line break. */
const LEAD_IN = /(?:[ \t(,;]|\b(?:see also|see|cf\.|cf|compare|and|or|also|e\.g\.|in|from|per|sources?:|refs?:))*$/i;
const PARTIAL_WORD = /[\p{L}.:]*$/u;
/** How far back a lead-in is looked for (it is short; this keeps the match linear). */
const LEAD_IN_WINDOW = 40;
// eslint-disable-next-line no-control-regex -- matching control characters is its purpose
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

export class CitationFilter {
  /** Source numbers in order of first citation. */
  readonly cited: number[] = [];
  /** Text not yet decided: a `[`-run, or what follows a removed marker until it is known not to be another marker. */
  private held = '';
  /** Decided text not yet sent: the lead-in a removed marker would take with it. */
  private tail = '';
  /** The last character sent. */
  private last = '';
  /** A marker was just removed: the separators after it are held, a closing bracket or doubled punctuation dropped. */
  private removed: { paren: boolean } | undefined;
  /** A kept marker follows a removed one whose lead-in took the space before it: it gets one back. */
  private spaceBeforeKept = false;

  constructor(private readonly isSource: (n: number) => boolean) {}

  push(text: string): string {
    return this.run(this.held + text.replace(CONTROL, ''), false);
  }

  /** The end of the answer: an unclosed `[`-run that starts like a marker is a cut-off one; anything else is text. */
  flush(): string {
    return this.run(this.held, true);
  }

  private run(input: string, final: boolean): string {
    let s = input;
    this.held = '';
    let out = '';
    for (;;) {
      if (this.removed) {
        const next = this.afterRemoval(s, (this.tail + out).slice(-1) || this.last, final);
        if (next === undefined) {
          this.held = s;
          return this.send(out, final);
        }
        s = next;
      }
      const open = s.indexOf('[');
      if (open < 0) return this.send(out + s, final);
      out += s.slice(0, open);
      s = s.slice(open);
      const marker = MARKER.exec(s);
      if (marker) {
        out = this.marker(out, marker[0]);
        s = s.slice(marker[0].length);
      } else if (this.undecided(s)) {
        if (!final) {
          this.held = s;
          return this.send(out, final);
        }
        if (MARKER_START.test(s)) {
          // A marker cut off by the end of the answer goes like a removed one, with its lead-in.
          out = this.marker(out, '[]');
          this.removed = undefined;
          return this.send(out, final);
        }
        return this.send(out + s, final);
      } else {
        out += '[';
        s = s.slice(1);
      }
    }
  }

  /** A `[`-run that may still become a marker. */
  private undecided(s: string): boolean {
    return s.length < MAX_MARKER_CHARS && !s.includes(']') && !s.includes('\n');
  }

  /** Text before a marker is `out`; returns what to keep of it, with the marker's kept numbers appended. */
  private marker(out: string, marker: string): string {
    const numbers = [...new Set(marker.match(/\d{1,3}/g)?.map(Number) ?? [])].filter((n) => this.isSource(n));
    for (const n of numbers) if (!this.cited.includes(n)) this.cited.push(n);
    const space = this.spaceBeforeKept && !/\s$/.test(out) ? ' ' : '';
    this.spaceBeforeKept = false;
    if (numbers.length) return `${out}${space}[${numbers.join(', ')}]`;
    const before = this.tail + out;
    const leadIn = LEAD_IN.exec(before.slice(-LEAD_IN_WINDOW))?.[0] ?? '';
    this.removed = { paren: (this.removed?.paren ?? false) || leadIn.includes('(') };
    this.tail = '';
    return before.slice(0, before.length - leadIn.length);
  }

  /**
   * After a removed marker (`prev`: the last character kept before it):
   * another marker of the same group, a closing bracket whose opening went
   * with the lead-in, punctuation that would double what precedes.
   * Undefined: not decidable yet (hold `s`).
   */
  private afterRemoval(s: string, prev: string, final: boolean): string | undefined {
    const separator = /^[ \t]*(?:(?:[,;]|and\b|or\b)[ \t]*)?/i.exec(s)?.[0] ?? '';
    const rest = s.slice(separator.length);
    if (rest.startsWith('[') && (MARKER.test(rest) || (!final && this.undecided(rest)))) {
      // Another marker of the same group (or maybe one): the separator goes with the removed one.
      if (!MARKER.test(rest)) return undefined;
      this.spaceBeforeKept = prev !== '' && !/[\s(]/.test(prev);
      return rest;
    }
    // Nothing yet, or a separator word still arriving ("an" of "and"): undecided.
    if (!final && s.length < MAX_MARKER_CHARS && /^(?:|a|an|o)$/i.test(rest)) return undefined;
    const paren = this.removed?.paren ?? false;
    this.removed = undefined;
    let next = s;
    if (paren) next = next.replace(/^[ \t]*\)/, '');
    if (/[.,;:!?]/.test(prev)) next = next.replace(/^[ \t]*[.,;:]/, '');
    if (prev === '\n' || prev === '') next = next.replace(/^[ \t]+/, '');
    return next;
  }

  /** Sends decided text, holding back its trailing lead-in (unless the answer is over). */
  private send(text: string, final: boolean): string {
    const all = this.tail + text;
    // A word still arriving may turn out to be a lead-in ("se" of "see"): it is held with the lead-in before it.
    const partial = final ? '' : (PARTIAL_WORD.exec(all.slice(-LEAD_IN_WINDOW))?.[0] ?? '');
    const whole = all.slice(0, all.length - partial.length);
    const leadIn = final ? '' : (LEAD_IN.exec(whole.slice(-LEAD_IN_WINDOW))?.[0] ?? '');
    this.tail = leadIn + partial;
    const out = all.slice(0, all.length - this.tail.length);
    if (out) this.last = out.slice(-1);
    return out;
  }
}
