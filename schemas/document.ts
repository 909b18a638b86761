/**
 * The normalized document: what every parser in `ingest/` produces and what the
 * engine stores. One shape for every format, so the chunker, the stores and
 * later the service never branch on the source format.
 */
import { z } from 'zod';

export const FORMATS = [
  'txt',
  'md',
  'html',
  'pdf',
  'docx',
  'eml',
  'csv',
  'xlsx',
  'fhir',
  'ccda',
  'health',
  'ofx',
  'ics',
  'vcf',
  'image',
] as const;
export const Format = z.enum(FORMATS);
export type Format = z.infer<typeof Format>;

/** A contiguous run of text with a pointer a citation can name (heading, page, record range). */
export const Section = z.object({
  heading: z.string().optional(),
  page: z.number().int().positive().optional(),
  text: z.string(),
  /** True when the text was recognised from an image (OCR), not read from the file. */
  ocr: z.boolean().optional(),
  /**
   * Kept with the document (to read and cite around) but not indexed: an e-mail's quoted text or its signature,
   * what repeats across a mailbox (ingest/formats/email-reply.ts).
   */
  aside: z.enum(['quote', 'signature']).optional(),
});
export type Section = z.infer<typeof Section>;

export const EmailMeta = z.object({
  kind: z.literal('email'),
  from: z.array(z.string()),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  subject: z.string().optional(),
  messageId: z.string().optional(),
  inReplyTo: z.string().optional(),
  references: z.array(z.string()).optional(),
  /** The thread's first message: the first of References, else In-Reply-To, else the message's own Message-ID. */
  thread: z.string().optional(),
  /** SHA-256 of the message's text; with the Message-ID, what makes two copies (two folders, two uploads) one message. */
  textSha256: z.string().optional(),
  attachments: z.array(z.object({ filename: z.string().optional(), contentType: z.string(), size: z.number() })),
});
export const PdfMeta = z.object({
  kind: z.literal('pdf'),
  pages: z.number().int().nonnegative(),
  author: z.string().optional(),
  /** Pages with no text layer whose text was recognised from their images. */
  ocrPages: z.number().int().nonnegative().optional(),
});
export const StatementMeta = z.object({
  kind: z.literal('statement'),
  account: z.string().optional(),
  accountType: z.string().optional(),
  currency: z.string().optional(),
  periodStart: z.string().optional(),
  periodEnd: z.string().optional(),
  transactions: z.number().int().nonnegative(),
  balance: z.string().optional(),
});
export const TableMeta = z.object({
  kind: z.literal('table'),
  columns: z.array(z.string()),
  rows: z.number().int().nonnegative(),
  /** CSV and TSV: the field delimiter. */
  delimiter: z.string().optional(),
  /** Spreadsheets: the sheets read, in order. */
  sheets: z.array(z.string()).optional(),
});
export const ClinicalMeta = z.object({
  kind: z.literal('clinical'),
  standard: z.enum(['fhir-r4', 'c-cda', 'apple-health']),
  patient: z.string().optional(),
  resourceCounts: z.record(z.string(), z.number()).optional(),
});
export const CalendarMeta = z.object({ kind: z.literal('calendar'), events: z.number().int().nonnegative() });
export const ContactsMeta = z.object({ kind: z.literal('contacts'), contacts: z.number().int().nonnegative() });
export const ImageMeta = z.object({
  kind: z.literal('image'),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  /** OCR's mean word confidence, 0-100. */
  confidence: z.number().min(0).max(100),
});
export const PlainMeta = z.object({ kind: z.literal('plain') });
export const DocumentMeta = z.discriminatedUnion('kind', [
  EmailMeta,
  PdfMeta,
  StatementMeta,
  TableMeta,
  ClinicalMeta,
  CalendarMeta,
  ContactsMeta,
  ImageMeta,
  PlainMeta,
]);
export type DocumentMeta = z.infer<typeof DocumentMeta>;

export const ParsedDocument = z.object({
  /** sha256 (hex) of the document's own bytes: the same bytes are the same document. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  /** For an email attachment: the message it came in. */
  parentId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  title: z.string(),
  /** Where it came from: a path, `archive.mbox#12`, `mail.eml/attachment.pdf`. */
  source: z.string(),
  mediaType: z.string(),
  format: Format,
  /** The document's own date (sent, statement end, report date), ISO 8601. */
  date: z.string().datetime({ offset: true }).optional(),
  /**
   * The span of the records a document holds (a statement's transactions, a table's rows, a calendar's entries,
   * a health export's days), at most 400 days wide. A date filter matches a document whose own date is in its
   * range or whose span meets it.
   */
  dateStart: z.string().datetime({ offset: true }).optional(),
  dateEnd: z.string().datetime({ offset: true }).optional(),
  meta: DocumentMeta,
  sections: z.array(Section),
  /** Bytes of the document's own source (the file, the message, the attachment): what storage quotas count. */
  size: z.number().int().nonnegative().optional(),
});
export type ParsedDocument = z.infer<typeof ParsedDocument>;

/** Why a file was not ingested; `code` is stable and machine-readable. */
export const PARSE_ERROR_CODES = [
  'empty',
  'too_large',
  'unsupported_format',
  'format_mismatch',
  'corrupt',
  'no_text',
  /** Scans and images: OCR ran and recognised no text (blank, handwriting, too small a resolution, not English). */
  'ocr_no_text',
  'binary_content',
  'too_deep',
  'parse_timeout',
  'parse_resource_limit',
] as const;
export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];
