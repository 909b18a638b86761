/**
 * HL7 C-CDA (R2.x) clinical documents: each structured section's title and
 * human-readable narrative becomes a section; an unstructured document's
 * embedded PDF or text body is extracted.
 */
import type { Section } from '../../schemas/document.js';
import { decodeText, isoDate, tidyText } from '../decode.js';
import { ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';
import { attr, child, childrenNamed, parseXml, tagOf, textOf, type XNode } from '../xml.js';
import { pdfPages } from './pdf.js';

/** HL7 TS (YYYYMMDD[HHMM[SS]][±ZZZZ]) → ISO 8601. */
function hl7Date(ts: string | undefined): string | undefined {
  const m = ts ? /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(ts) : null;
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', tz] = m;
  const zone = tz ? `${tz.slice(0, 3)}:${tz.slice(3)}` : 'Z';
  return isoDate(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
}

function plain(node: XNode | undefined): string | undefined {
  return node ? tidyText(textOf([node])) || undefined : undefined;
}

function personName(name: XNode | undefined): string | undefined {
  if (!name) return undefined;
  const parts = [
    ...childrenNamed(name, 'prefix'),
    ...childrenNamed(name, 'given'),
    ...childrenNamed(name, 'family'),
  ].map(plain);
  return parts.filter(Boolean).join(' ') || plain(name);
}

function collectSections(parent: XNode | undefined, out: Section[], depth = 0): void {
  if (depth > 20) throw new ParseError('too_deep', 'C-CDA sections nested deeper than 20 levels');
  for (const component of childrenNamed(parent, 'component')) {
    const section = child(component, 'section');
    if (!section) continue;
    const heading = plain(child(section, 'title')) ?? attr(child(section, 'code'), 'displayName');
    const text = plain(child(section, 'text'));
    if (text) out.push({ heading, text });
    collectSections(section, out, depth + 1);
  }
}

function isClinicalDocument(roots: XNode[]): XNode | undefined {
  return roots.find((n) => tagOf(n) === 'ClinicalDocument');
}

export const parseCcda: FormatParser = async ({ bytes, name }) => {
  const doc = isClinicalDocument(parseXml(decodeText(bytes)));
  if (!doc) throw new ParseError('unsupported_format', 'XML is not an HL7 CDA ClinicalDocument');
  const title = plain(child(doc, 'title')) ?? attr(child(doc, 'code'), 'displayName') ?? name;
  const patient = personName(child(child(child(child(doc, 'recordTarget'), 'patientRole'), 'patient'), 'name'));
  const date = hl7Date(attr(child(doc, 'effectiveTime'), 'value'));
  const body = child(child(doc, 'component'), 'structuredBody');
  const nonXml = child(child(doc, 'component'), 'nonXMLBody');
  let sections: Section[] = [];
  if (body) {
    collectSections(body, sections);
  } else if (nonXml) {
    const textNode = child(nonXml, 'text');
    const mediaType = attr(textNode, 'mediaType') ?? 'text/plain';
    const raw = plain(textNode) ?? '';
    const payload =
      attr(textNode, 'representation') === 'B64' ? Buffer.from(raw.replace(/\s+/g, ''), 'base64') : Buffer.from(raw);
    if (mediaType === 'application/pdf') sections = (await pdfPages(payload)).sections;
    else if (mediaType.startsWith('text/')) sections = [{ text: tidyText(decodeText(payload)) }];
    else throw new ParseError('unsupported_format', `C-CDA body of type ${mediaType} is not supported`);
  }
  if (!sections.length) throw new ParseError('no_text', 'C-CDA document has no narrative text');
  return {
    title: patient ? `${title} — ${patient}` : title,
    mediaType: 'application/xml',
    format: 'ccda',
    date,
    meta: { kind: 'clinical', standard: 'c-cda', patient },
    sections,
  };
};
