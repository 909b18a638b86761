/**
 * Streaming mbox splitter (RFC 4155 "default" format, mboxo/mboxrd escaping).
 * Reads any byte stream and yields one message at a time, so an archive of any
 * size is held in memory only one message (bounded by `maxMessageBytes`) at a time.
 */
import { ParseError } from './errors.js';

export type MboxItem = { index: number; bytes: Uint8Array } | { index: number; error: ParseError };

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

  function* finish(): Generator<MboxItem> {
    if (!started) return;
    if (overflow) {
      yield { index, error: new ParseError('too_large', `message ${index + 1} exceeds ${maxMessageBytes} bytes`) };
    } else {
      let msg = Buffer.concat(parts, size);
      // The line break before the next separator belongs to the format, not the message.
      if (msg.length && msg[msg.length - 1] === NL)
        msg = msg.subarray(0, msg.length - (msg[msg.length - 2] === 0x0d ? 2 : 1));
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

  // The unfinished line, kept as parts: appending to one buffer would copy it again for every chunk.
  let carry: Buffer[] = [];
  let carried = 0;
  // Inside a line that was spilled for being longer than a message can be: its rest is never a separator.
  let spilled = false;

  function* line(withNl: Buffer): Generator<MboxItem> {
    const text = withNl.length && withNl[withNl.length - 1] === NL ? withNl.subarray(0, withNl.length - 1) : withNl;
    if (spilled) {
      push(withNl);
      spilled = false;
      prevBlank = false;
      return;
    }
    if (prevBlank && isSeparator(text)) {
      yield* finish();
      started = true;
    } else if (started) {
      push(withNl);
    } else if (!isBlank(text)) {
      throw new ParseError('format_mismatch', 'an mbox starts with a "From " separator line');
    }
    prevBlank = isBlank(text);
  }

  for await (const raw of stream) {
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl >= 0; nl = chunk.indexOf(NL, start)) {
      const piece = chunk.subarray(start, nl + 1);
      const whole = carried ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      carried = 0;
      yield* line(whole);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = Buffer.from(chunk.subarray(start)); // copy: do not pin the whole chunk
      carry.push(rest);
      carried += rest.length;
    }
    // A line longer than a message may be cannot be a separator: spill it.
    if (carried > maxMessageBytes) {
      if (!started) throw new ParseError('format_mismatch', 'an mbox starts with a "From " separator line');
      for (const part of carry) push(part);
      carry = [];
      carried = 0;
      spilled = true;
      prevBlank = false;
    }
  }
  if (carried) yield* line(Buffer.concat(carry));
  if (!started) throw new ParseError('empty', 'mbox holds no messages');
  yield* finish();
}
