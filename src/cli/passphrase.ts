/** Passphrases for encrypted identity files: PRAG_PASSPHRASE, or asked on the terminal without echo. */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { UsageError } from './errors.js';

async function ask(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(prompt);
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** The passphrase of `file`, asked for only when it is encrypted. */
export async function passphraseFor(file: string): Promise<string> {
  const fromEnv = process.env.PRAG_PASSPHRASE;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY)
    throw new UsageError(`${file} is encrypted: set PRAG_PASSPHRASE or run the command on a terminal`);
  return ask(`passphrase for ${file}: `);
}

/** A passphrase for a file being encrypted: PRAG_PASSPHRASE, or asked twice on the terminal. */
export async function newPassphrase(file: string): Promise<string> {
  const fromEnv = process.env.PRAG_PASSPHRASE;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY)
    throw new UsageError('--encrypt needs a terminal to ask the passphrase, or PRAG_PASSPHRASE');
  const first = await ask(`new passphrase for ${file}: `);
  if (!first) throw new UsageError('the passphrase is empty');
  if ((await ask('again: ')) !== first) throw new UsageError('the two passphrases differ; nothing was written');
  return first;
}
