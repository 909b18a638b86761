/**
 * An e-mail body split into the sender's own words and what repeats across a mailbox: quoted replies (`>`
 * lines, "On … wrote:" headers, Outlook's "Original Message" and "From:/Sent:" blocks) and signatures (the
 * `-- ` delimiter, sign-offs, "Sent from my phone" lines, legal disclaimers). Forwarded messages are kept as
 * their own part: a forward is often the only copy of what it carries.
 *
 * Linear in the body: every line is classified once, and each pattern looks at a bounded prefix of one line
 * (or of the next few lines, for a header wrapped over up to three). No pattern has nested quantifiers.
 */

export type MailPartKind = 'own' | 'quote' | 'signature' | 'forward';

export interface MailPart {
  kind: MailPartKind;
  text: string;
}

/** Characters of a line the patterns look at: headers and sign-offs are short; a longer line is body text. */
const PREFIX = 300;
/** Lines an "On … wrote:" header may be wrapped over. */
const HEADER_LINES = 3;
/** Lines after a sign-off that can still be a signature (name, title, phone, address). */
const SIGNATURE_LINES = 6;

const QUOTE_LINE = /^>/;
/** A reply header's first words: "On", "Le", "Am", "El", "Il", "Em", "Op", "Den", "W dniu", "Dnia", "pe", "Pe". */
const REPLY_INTRO = /^(?:On|Le|Am|El|Il|Em|Op|Den|På|W dniu|Dnia|Pe|pe)\s/;
/** A reply header's last words, at the end of its (possibly wrapped) text. */
const REPLY_OUTRO =
  /(?:wrote|writes|a écrit|schrieb|escribió|scritto|escreveu|skrev|napisał|napisała|pisze|schreef|kirjoitti|寫道|写道)\s?:?$/;
/** "Name <a@b> wrote:", or "2024-03-01 10:00 GMT+01:00 Name <a@b>:" (a date and an address, then a colon). */
const ADDRESS_HEADER = /^\S.{0,200}@[^\s>]{1,100}>?\s?:$/;
const ORIGINAL_MESSAGE =
  /^-{2,}\s?(?:Original Message|Reply Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oprindelig meddelelse|Oorspronkelijk bericht|Originalmeddelande|Alkuperäinen viesti)\s?-{2,}$/i;
const FORWARD_MARKER =
  /^(?:-{2,}\s?(?:Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht)\s?-{2,}|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|Début du message réexpédié :)$/i;
/** An Outlook header block's first line, then (within the next lines) its date line. */
const BLOCK_FROM = /^\*?(?:From|Von|De|Van|Da|Fra|Från|Od|Lähettäjä)\s?:\*?\s\S/;
const BLOCK_DATE =
  /^\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Inviato|Verzonden|Sendt|Skickat|Wysłano|Lähetetty)\s?:\*?\s\S/;
/** Outlook puts a line of underscores above its header block. */
const UNDERSCORES = /^_{10,}$/;
/** `-- ` (the standard delimiter; blank space at line ends is tidied away before this), or `__`. */
const SIGNATURE_DELIMITER = /^(?:--|__)$/;
const MOBILE =
  /^(?:Sent from my \S|Sent from (?:Outlook|Mail|Yahoo Mail|Gmail|Proton ?Mail|my mobile)|Sent (?:from|via|with) (?:an? )?\S+(?: \S+)? (?:for|on) (?:iOS|Android|iPhone|iPad)|Get Outlook for (?:iOS|Android)|Envoyé de mon \S|Von meinem \S.{0,60} gesendet|Enviado desde mi \S|Inviato da \S)/i;
const SIGN_OFF =
  /^(?:(?:best|kind|warm|warmest|many|with)?\s?(?:regards|wishes)|best|cheers|thanks|thank you|many thanks|thanks again|sincerely|yours(?: truly| sincerely)?|all the best|take care|love|cordially|mit freundlichen grüßen|viele grüße|liebe grüße|cordialement|bien à vous|saludos|un saludo|cordiali saluti|met vriendelijke groet)[,.!]?$/i;
const DISCLAIMER_OPENING = /^(?:disclaimer|confidentiality notice|legal notice|important notice|privileged\b)/i;
const CONFIDENTIAL = /\b(?:confidential|privileged)\b/i;
const ADDRESSEE = /\b(?:intended (?:solely |only )?for|intended recipient|addressee|unauthori[sz]ed|disclos)/i;

const head = (line: string) => (line.length > PREFIX ? line.slice(0, PREFIX) : line).trim();

/** Lines from `i` that make a quote header, or 0. */
function quoteHeader(lines: readonly string[], i: number): number {
  const first = head(lines[i] ?? '');
  if (!first) return 0;
  if (ORIGINAL_MESSAGE.test(first)) return 1;
  if (REPLY_OUTRO.test(first) && (REPLY_INTRO.test(first) || first.includes('@') || /\bwrote:?$/.test(first))) return 1;
  if (REPLY_INTRO.test(first)) {
    let joined = first;
    for (let n = 1; n < HEADER_LINES && i + n < lines.length; n++) {
      const next = head(lines[i + n] ?? '');
      if (!next) break;
      joined += ` ${next}`;
      if (REPLY_OUTRO.test(joined)) return n + 1;
    }
  }
  if (QUOTE_LINE.test(lines[i + 1] ?? '') && ADDRESS_HEADER.test(first)) return 1;
  const start = UNDERSCORES.test(first) ? 1 : 0;
  if (BLOCK_FROM.test(head(lines[i + start] ?? ''))) {
    for (let n = start + 1; n <= start + 4 && i + n < lines.length; n++)
      if (BLOCK_DATE.test(head(lines[i + n] ?? ''))) return start + 1;
  }
  return 0;
}

/** Whether the lines from `i` to the end of the sender's own run (at most SIGNATURE_LINES more) are short. */
function signatureFollows(lines: readonly string[], i: number, end: number): boolean {
  let count = 0;
  for (let j = i + 1; j < end; j++) {
    const line = lines[j] ?? '';
    if (!line.trim()) continue;
    if (++count > SIGNATURE_LINES || line.length > 80) return false;
  }
  return true;
}

/** The first line from `i` on that is not blank, or undefined. */
function nextText(lines: readonly string[], i: number): string | undefined {
  for (let j = i; j < lines.length; j++) if ((lines[j] ?? '').trim()) return lines[j];
  return undefined;
}

/** Labels each line, in one pass. A forward's first header starts a forwarded message rather than a quote. */
function label(lines: readonly string[], forward: boolean): MailPartKind[] {
  const kinds: MailPartKind[] = new Array<MailPartKind>(lines.length);
  let state: MailPartKind = 'own';
  let rest: MailPartKind | undefined; // once a header or marker is seen, everything after is this kind
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (rest) {
      kinds[i] = rest;
      continue;
    }
    const first = head(line);
    if (FORWARD_MARKER.test(first)) {
      rest = 'forward';
      kinds[i] = rest;
      continue;
    }
    const header = quoteHeader(lines, i);
    if (header && forward) {
      rest = 'forward';
      kinds[i] = rest;
      continue;
    }
    if (header) {
      // A header over `>` lines: the quote is those lines, and the sender may answer below (bottom-posting).
      // Otherwise (Outlook, or a quote whose `>` marks were lost) everything below is the quoted message.
      // Each blank run is scanned once: by the header above it, after which the loop moves past it.
      const next = nextText(lines, i + header);
      if (next === undefined || !QUOTE_LINE.test(next)) rest = 'quote';
      for (let n = 0; n < header; n++) kinds[i + n] = 'quote';
      i += header - 1;
      state = 'quote';
      continue;
    }
    if (QUOTE_LINE.test(line)) {
      kinds[i] = 'quote';
      state = 'quote';
      continue;
    }
    if (!first) {
      kinds[i] = state; // a blank line belongs to the run it is in
      continue;
    }
    if (state === 'quote') state = 'own';
    if (state === 'own' && (SIGNATURE_DELIMITER.test(first) || MOBILE.test(first))) state = 'signature';
    kinds[i] = state;
  }
  return kinds;
}

/** The end (exclusive) of the own-words run that starts at `i`. */
function runEnd(kinds: readonly MailPartKind[], i: number): number {
  let j = i;
  while (j < kinds.length && kinds[j] === 'own') j++;
  return j;
}

/** Within each own-words run: a sign-off with a few short lines after it, and trailing disclaimers, are signature. */
function trailingSignatures(lines: readonly string[], kinds: MailPartKind[]): void {
  for (let i = 0; i < kinds.length;) {
    if (kinds[i] !== 'own') {
      i++;
      continue;
    }
    const end = runEnd(kinds, i);
    for (let j = i; j < end; j++) {
      if (SIGN_OFF.test(head(lines[j] ?? '')) && signatureFollows(lines, j, end)) {
        kinds.fill('signature', j, end);
        break;
      }
    }
    // Disclaimers: the run's last paragraphs, from the end back while each reads like one.
    let stop = end;
    while (stop > i && kinds[stop - 1] !== 'own') stop--;
    for (;;) {
      let top = stop;
      while (top > i && (lines[top - 1] ?? '').trim()) top--;
      if (top === stop) break;
      const paragraph = lines.slice(top, stop).join(' ');
      const disclaimer =
        DISCLAIMER_OPENING.test(paragraph) || (CONFIDENTIAL.test(paragraph) && ADDRESSEE.test(paragraph));
      if (!disclaimer || top === i) break;
      kinds.fill('signature', top, stop);
      stop = top;
      while (stop > i && !(lines[stop - 1] ?? '').trim()) stop--;
    }
    i = end;
  }
}

/**
 * The body as parts in order, each the text of consecutive lines of one kind, blank ones trimmed off.
 * `forward`: the message is a forward (its subject says so): the first quote header starts the forwarded copy.
 */
export function splitReply(body: string, { forward = false } = {}): MailPart[] {
  const lines = body.split('\n');
  const kinds = label(lines, forward);
  trailingSignatures(lines, kinds);
  const parts: MailPart[] = [];
  let from = 0;
  for (let i = 1; i <= lines.length; i++) {
    if (i < lines.length && kinds[i] === kinds[from]) continue;
    const text = lines.slice(from, i).join('\n').trim();
    const kind = kinds[from] ?? 'own';
    const last = parts.at(-1);
    if (text && last?.kind === kind) last.text += `\n\n${text}`;
    else if (text) parts.push({ kind, text });
    from = i;
  }
  return parts;
}
