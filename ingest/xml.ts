/**
 * XML through fast-xml-parser in order-preserving mode (narrative text is mixed
 * content, so order matters), with the guards untrusted XML needs.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ParseError } from './errors.js';

/** One node of fast-xml-parser's `preserveOrder` output. */
export type XNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
});

export function parseXml(text: string): XNode[] {
  // Entity declarations are how "billion laughs" and external-entity attacks start; no clinical document needs one.
  if (/<!ENTITY/i.test(text)) throw new ParseError('corrupt', 'XML declares entities (<!ENTITY>), which are refused');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new ParseError('corrupt', `invalid XML: ${valid.err.msg} (line ${valid.err.line})`);
  return parser.parse(text) as XNode[];
}

export function tagOf(node: XNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

function childrenOf(node: XNode): XNode[] {
  const tag = tagOf(node);
  const v = tag ? node[tag] : undefined;
  return Array.isArray(v) ? (v as XNode[]) : [];
}

export function attr(node: XNode | undefined, name: string): string | undefined {
  return node?.[':@']?.[name];
}

export function child(node: XNode | undefined, tag: string): XNode | undefined {
  return node ? childrenOf(node).find((c) => tagOf(c) === tag) : undefined;
}

export function childrenNamed(node: XNode | undefined, tag: string): XNode[] {
  return node ? childrenOf(node).filter((c) => tagOf(c) === tag) : [];
}

/** Narrative block elements (CDA narrative block, XHTML) that end a line. */
const BLOCK = new Set([
  'paragraph',
  'p',
  'br',
  'item',
  'li',
  'tr',
  'caption',
  'list',
  'ul',
  'ol',
  'table',
  'thead',
  'tbody',
  'div',
  'title',
]);
const CELL = new Set(['td', 'th']);

/**
 * Narrative text, written in one pass. Cells are joined by ` | ` written before each cell but the first of a
 * line, so no trailing separator ever needs trimming: trimming one off every block's text (`\s*\|\s*$`)
 * rescanned each run of blank space from each of its positions, and each nesting level re-copied its whole
 * subtree (quadratic in both). The only thing ever taken back is blank space at a cell's end, and what is
 * taken back is gone: every character is written once and removed at most once.
 */
class Narrative {
  private readonly parts: string[] = [];
  /** A cell ended since the last line break: the next cell on this line is preceded by ` | `. */
  private afterCell = false;
  /** In a cell with nothing visible written yet: blank space is dropped (cells are trimmed). */
  private cellStart = false;

  text(s: string): void {
    if (this.cellStart) {
      s = s.trimStart();
      if (!s) return;
      this.cellStart = false;
    }
    this.parts.push(s);
  }

  lineBreak(): void {
    this.text('\n');
    this.afterCell = false;
  }

  cell(write: () => void): void {
    if (this.afterCell) this.text(' | ');
    const outer = this.cellStart;
    const mark = this.parts.length;
    this.afterCell = false;
    this.cellStart = true;
    write();
    this.trimEnd(mark);
    this.cellStart = outer && this.parts.length === mark; // a cell in a cell that had written nothing visible yet
    this.afterCell = true;
  }

  /** Drops blank space at the end of what was written since `mark`. */
  private trimEnd(mark: number): void {
    while (this.parts.length > mark) {
      const last = this.parts.length - 1;
      const trimmed = (this.parts[last] ?? '').trimEnd();
      if (trimmed) {
        this.parts[last] = trimmed;
        return;
      }
      this.parts.pop();
    }
  }

  toString(): string {
    return this.parts.join('');
  }
}

function writeNarrative(out: Narrative, nodes: XNode[], depth: number): void {
  if (depth > 200) throw new ParseError('too_deep', 'XML nesting deeper than 200 levels');
  for (const n of nodes) {
    const tag = tagOf(n);
    if (tag === '#text') {
      out.text(String(n['#text']).replace(/\s+/g, ' ')); // narrative white space is not significant
      continue;
    }
    if (!tag || tag.startsWith('?')) continue;
    const children = childrenOf(n);
    if (CELL.has(tag)) {
      out.cell(() => writeNarrative(out, children, depth + 1));
    } else if (BLOCK.has(tag)) {
      out.lineBreak();
      writeNarrative(out, children, depth + 1);
      out.lineBreak();
    } else {
      writeNarrative(out, children, depth + 1);
    }
  }
}

/** The readable text of a subtree: table rows as `cell | cell`, list items and paragraphs on lines. */
export function textOf(nodes: XNode[]): string {
  const out = new Narrative();
  writeNarrative(out, nodes, 0);
  return out.toString();
}
