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

export function childrenOf(node: XNode): XNode[] {
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

/** The readable text of a subtree: table rows as `cell | cell`, list items and paragraphs on lines. */
export function textOf(nodes: XNode[], depth = 0): string {
  if (depth > 200) throw new ParseError('too_deep', 'XML nesting deeper than 200 levels');
  let out = '';
  for (const n of nodes) {
    const tag = tagOf(n);
    if (tag === '#text') {
      out += String(n['#text']).replace(/\s+/g, ' '); // narrative white space is not significant
      continue;
    }
    if (!tag || tag.startsWith('?')) continue;
    const inner = textOf(childrenOf(n), depth + 1);
    if (CELL.has(tag)) out += `${inner.trim()} | `;
    else if (BLOCK.has(tag)) out += `\n${inner.replace(/\s*\|\s*$/, '')}\n`;
    else out += inner;
  }
  return out;
}
