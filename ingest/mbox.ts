/**
 * Streaming mbox splitter (RFC 4155 "default" format, mboxo/mboxrd escaping).
 * Reads any byte stream and yields one message at a time, so an archive of any
 * size is held in memory only one message (bounded by `maxMessageBytes`) at a time.
 */
import { ParseError } from './errors.js';

export type MboxItem =
  | { index: number; bytes: Uint8Array }
  | { index: number; error: ParseError };

const NL = 0x0a;
const FROM_ = Buffer.from('From ');
const ESCAPED_FROM = Buffer.from('\n>From ');

/** A separator line: `From ` then a sender then something more (the postmark date). */
function isSeparator(line: Buffer): boolean {
  if (line.length < 7 || line.compare(FROM_, 0, 5, 0, 5) !== 0) return false;
  return /^From \S*\s+\S/.test(line.subarray(0, 200).toString('latin1'));
}

function isBlank(line: Buffer): boolean {
  return line.length === 0 || (line.length === 1 && line[0] === 0x0d);
}

/** mboxrd/mboxo: a body line `>From ` (any number of `>`) was escaped by one `>`. */
function unescape(message: Buffer): Buffer {
  if (message.indexOf(ESCAPED_FROM) < 0 && !message.subarray(0, 6).equals(ESCAPED_FROM.subarray(1))) return message;
  return Buffer.from(message.toString('latin1').replace(/^>(>*From )/gm, '$1'), 'latin1');
}

export async function* splitMbox(
  stream: AsyncIterable<Uint8Array>,
  { maxMessageBytes = 64 * 1024 * 1024 } = {},
): AsyncGenerator<MboxItem> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let started = false;
  let index = 0;
  let prevBlank = true;
  let carry: Buffer = Buffer.alloc(0);

  function* finish(): Generator<MboxItem> {
    if (!started) return;
    if (overflow) {
      yield { index, error: new ParseError('too_large', `message ${index + 1} exceeds ${maxMessageBytes} bytes`) };
    } else {
      let msg = Buffer.concat(parts, size);
      // The line break before the next separator belongs to the format, not the message.
      if (msg.length && msg[msg.length - 1] === NL) msg = msg.subarray(0, msg.length - (msg[msg.length - 2] === 0x0d ? 2 : 1));
      yield { index, bytes: unescape(msg) };
    }
    index++;
    parts = [];
    size = 0;
    overflow = false;
  }

  function push(line: Buffer) {
    if (overflow) return;
    if (size + line.length > maxMessageBytes) {
      overflow = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(line);
    size += line.length;
  }

  for await (const chunk of stream) {
    let buf: Buffer = carry.length ? Buffer.concat([carry, Buffer.from(chunk)]) : Buffer.from(chunk);
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl >= 0; nl = buf.indexOf(NL, start)) {
      const line = buf.subarray(start, nl);
      if (prevBlank && isSeparator(line)) {
        yield* finish();
        started = true;
      } else if (started) {
        push(buf.subarray(start, nl + 1));
      } else if (!isBlank(line)) {
        throw new ParseError('format_mismatch', 'an mbox starts with a "From " separator line');
      }
      prevBlank = isBlank(line);
      start = nl + 1;
    }
    carry = Buffer.from(buf.subarray(start)); // copy: do not pin the whole chunk
    // A single line longer than a message may be cannot be a separator: spill it.
    if (carry.length > maxMessageBytes) {
      if (!started) throw new ParseError('format_mismatch', 'an mbox starts with a "From " separator line');
      push(carry);
      carry = Buffer.alloc(0);
      prevBlank = false;
    }
    buf = carry;
  }
  if (carry.length) {
    if (prevBlank && isSeparator(carry)) {
      yield* finish();
      started = true;
    } else if (started) push(carry);
    else if (!isBlank(carry)) throw new ParseError('format_mismatch', 'an mbox starts with a "From " separator line');
  }
  if (!started) throw new ParseError('empty', 'mbox holds no messages');
  yield* finish();
}
