import { decodeText, tidyText } from '../decode.js';
import type { FormatParser } from '../types.js';

export const parseText: FormatParser = async ({ bytes, name }) => ({
  title: name,
  mediaType: 'text/plain',
  format: 'txt',
  meta: { kind: 'plain' },
  sections: [{ text: tidyText(decodeText(bytes)) }],
});
