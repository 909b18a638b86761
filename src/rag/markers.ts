/**
 * Citation markers in a streamed answer. Text passes through as it arrives,
 * except that a `[`-run that may still become a marker is held until it is
 * decided. A marker keeps only the numbers of retrieved sources; one naming
 * none of them is removed, so no `[n]` without a source ever reaches the
 * requester. Control characters from the model are dropped on the way.
 */
const MARKER = /^\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/;
/** Could still grow into a marker. */
const MARKER_PREFIX = /^\[(?:\d{1,3}(?:\s*,\s*(?:\d{1,3})?)*\s*)?$/;
// eslint-disable-next-line no-control-regex -- matching control characters is its purpose
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

export class CitationFilter {
  /** Source numbers in order of first citation. */
  readonly cited: number[] = [];
  private held = '';

  constructor(private readonly isSource: (n: number) => boolean) {}

  push(text: string): string {
    let s = this.held + text.replace(CONTROL, '');
    this.held = '';
    let out = '';
    for (;;) {
      const open = s.indexOf('[');
      if (open < 0) return out + s;
      out += s.slice(0, open);
      s = s.slice(open);
      const marker = MARKER.exec(s);
      if (marker) {
        const [whole, list = ''] = marker; // MARKER's group always takes part in a match
        const numbers = [...new Set(list.split(',').map((n) => Number(n.trim())))].filter((n) => this.isSource(n));
        for (const n of numbers) if (!this.cited.includes(n)) this.cited.push(n);
        if (numbers.length) out += `[${numbers.join(', ')}]`;
        s = s.slice(whole.length);
      } else if (MARKER_PREFIX.test(s)) {
        this.held = s;
        return out;
      } else {
        out += '[';
        s = s.slice(1);
      }
    }
  }

  /** The end of the answer: a held `[`-run that never closed is plain text. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}
