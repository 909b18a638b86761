import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type MailParserOptions, type ParsedMail } from 'mailparser';
import type { Section } from '../../schemas/document.js';
import { isoDate, tidyText } from '../decode.js';
import { asParseError, ParseError } from '../errors.js';
import type { ChildFile, FormatParser } from '../types.js';
import { htmlToPlain } from './html.js';
import { splitReply, type MailPart } from './email-reply.js';
import { checkMessage, mimeNodeCeiling } from './mail-limits.js';

/** File extensions for attachments that arrive without a name. */
const EXT_BY_TYPE: Record<string, string> = {
  'message/rfc822': '.eml',
  'text/plain': '.txt',
  'text/html': '.html',
  'text/csv': '.csv',
  'text/markdown': '.md',
  'application/pdf': '.pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/x-ofx': '.ofx',
  'application/fhir+json': '.json',
};

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const out: string[] = [];
  const walk = (value: AddressObject['value']) => {
    for (const a of value) {
      if (a.group) walk(a.group);
      else if (a.address) out.push(a.name ? `${a.name} <${a.address}>` : a.address);
      else if (a.name) out.push(a.name);
    }
  };
  for (const obj of list) walk(obj.value);
  return out;
}

/** A subject that says the message forwards another ("Fwd:", "Fw:", "WG:", "TR:", "RV:", "Doorst:"). */
const FORWARD_SUBJECT = /^(?:(?:re|aw|sv)\s?:\s?)*(?:fwd?|wg|tr|rv|doorst|vs)\s?:/i;

/**
 * The message as sections: the header lines with the sender's first words, then each further part. Quotes and
 * signatures are kept as `aside` sections (read and cited around, not indexed).
 */
function bodySections(header: string, subject: string | undefined, parts: MailPart[]): Section[] {
  const [first, ...rest] = parts;
  const lead = first && first.kind !== 'quote' && first.kind !== 'signature' ? first : undefined;
  const sections: Section[] = [{ heading: subject, text: lead ? `${header}\n\n${lead.text}` : header }];
  for (const part of lead ? rest : parts)
    sections.push({
      heading: subject,
      text: part.text,
      ...(part.kind === 'quote' || part.kind === 'signature' ? { aside: part.kind } : {}),
    });
  return sections;
}

/** True when the bytes begin like an RFC 5322 message: a header line before the first blank line. */
function looksLikeEmail(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  const firstBlock = head.split(/\r?\n\r?\n/, 1)[0] ?? '';
  return (
    /^[!-9;-~]+:[ \t]?/m.test(firstBlock) &&
    /^(from|to|subject|date|message-id|received|mime-version|content-type|return-path)\s*:/im.test(firstBlock)
  );
}

function children(mail: ParsedMail): ChildFile[] {
  return mail.attachments
    .filter((a) => !a.related && a.content.length > 0)
    .map((a, i) => ({
      name: a.filename ?? `attachment-${i + 1}${EXT_BY_TYPE[a.contentType.toLowerCase()] ?? '.bin'}`,
      bytes: new Uint8Array(a.content.buffer, a.content.byteOffset, a.content.length), // a view, not a copy
    }));
}

export const parseEmail: FormatParser = async ({ bytes }) => {
  if (!looksLikeEmail(bytes))
    throw new ParseError('format_mismatch', 'no RFC 5322 header block at the start of the message');
  checkMessage(bytes);
  const options: MailParserOptions & { maxChildNodes: number } = {
    skipImageLinks: true,
    skipTextToHtml: true,
    // HTML bodies are converted below (htmlToPlain), where nesting is checked first; mailparser's own
    // html-to-text would meet a deeply nested body unchecked (see html-nesting.ts).
    skipHtmlToText: true,
    maxChildNodes: mimeNodeCeiling(bytes),
  };
  const mail = await simpleParser(Buffer.from(bytes), options).catch((e: unknown) => {
    throw asParseError(e, 'unreadable MIME message');
  });
  const from = addresses(mail.from);
  const to = addresses(mail.to);
  const cc = addresses(mail.cc);
  const subject = mail.subject?.trim() || undefined;
  const date = isoDate(mail.date);
  const body = tidyText(mail.text?.trim() ? mail.text : mail.html ? htmlToPlain(mail.html) : '');
  const attachments = mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size }));
  const header = [
    from.length ? `From: ${from.join(', ')}` : '',
    to.length ? `To: ${to.join(', ')}` : '',
    cc.length ? `Cc: ${cc.join(', ')}` : '',
    date ? `Date: ${date.slice(0, 10)}` : '',
    subject ? `Subject: ${subject}` : '',
    attachments.length ? `Attachments: ${attachments.map((a) => a.filename ?? a.contentType).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const sections = bodySections(header, subject, splitReply(body, { forward: FORWARD_SUBJECT.test(subject ?? '') }));
  const references = typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []);
  return {
    title: subject ?? '(no subject)',
    mediaType: 'message/rfc822',
    format: 'eml',
    date,
    meta: {
      kind: 'email',
      from,
      to,
      cc,
      subject,
      messageId: mail.messageId,
      inReplyTo: mail.inReplyTo,
      references: references.length ? references : undefined,
      thread: references[0] ?? mail.inReplyTo ?? mail.messageId,
      textSha256: createHash('sha256')
        .update(sections.map((s) => s.text).join('\n\n'))
        .digest('hex'),
      attachments,
    },
    sections,
    children: children(mail),
  };
};
