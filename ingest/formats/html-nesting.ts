/**
 * Deep HTML nesting, refused before html-to-text builds a tree. htmlparser2 keeps its open elements
 * innermost-first and updates them with unshift, shift and indexOf (fb55/htmlparser2#2481), so every tag
 * costs the current depth: 1 MiB of `<div>` (200,000 levels) takes minutes. Browsers stop nesting at 512
 * for the same reason (Chromium's kMaximumHTMLParserDOMTreeDepth); no real page comes near it.
 */
import { Parser } from 'htmlparser2';
import { ParseError } from '../errors.js';

const MAX_HTML_NESTING = 512;

/**
 * Elements htmlparser2 also records on its foreign-content stack (its foreignContextElements and
 * htmlIntegrationElements). That stack is unshifted for each of them but shifted only by a matching end tag,
 * so `<svg/>` or `<div><svg></div>` repeated grows it while the element stack stays shallow.
 */
const FOREIGN = new Set([
  'math',
  'svg',
  'mi',
  'mo',
  'mn',
  'ms',
  'mtext',
  'annotation-xml',
  'foreignobject',
  'desc',
  'title',
]);

/**
 * Throws `too_deep` when `html` would nest more than MAX_HTML_NESTING elements. It runs htmlparser2's own
 * parser, so depth is measured exactly as html-to-text's parse will meet it (optional end tags, implied
 * closes and void elements included), and stops at the first tag past the limit: up to there every stack
 * operation is bounded by the limit, so the check is linear in the input. The foreign-content count is an
 * upper bound (only end tags that close an element lower it), so it is checked against the same limit.
 */
export function checkNesting(html: string): void {
  let depth = 0;
  let foreign = 0;
  const tooDeep = () => new ParseError('too_deep', `HTML nests elements more than ${MAX_HTML_NESTING} deep`);
  const parser = new Parser(
    {
      // Every element pushed gets onopentagname, every element popped onclosetag (void ones get both at once).
      onopentagname(name) {
        depth++;
        if (FOREIGN.has(name)) foreign++;
        if (depth > MAX_HTML_NESTING || foreign > MAX_HTML_NESTING) throw tooDeep();
      },
      onclosetag(name, isImplied) {
        depth--;
        if (!isImplied && FOREIGN.has(name)) foreign--;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
}
