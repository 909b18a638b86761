/**
 * An e-mail's identity across copies. The same message saved in two folders, or uploaded twice, has other
 * bytes (folder headers, `Status:`, the mbox postmark) but the same Message-ID and the same text: those two
 * decide it. A message without a Message-ID has no key (its bytes still dedupe it).
 */
import { createHash } from 'node:crypto';
import type { ParsedDocument } from '../../schemas/document.js';

/** SHA-256 (hex) of the Message-ID and the message's text; undefined for anything but such an e-mail. */
export function messageKey(doc: Pick<ParsedDocument, 'meta'>): string | undefined {
  const { meta } = doc;
  if (meta.kind !== 'email' || !meta.messageId || !meta.textSha256) return undefined;
  return createHash('sha256').update(`${meta.messageId}\0${meta.textSha256}`).digest('hex');
}
