/** Looks for a secret string in every file under a directory: as UTF-8, UTF-16 (LE/BE) and base64 at every alignment. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The byte patterns under which `secret` would be recognisable. */
export function needles(secret: string): Array<{ form: string; bytes: Buffer }> {
  const raw = Buffer.from(secret, 'utf8');
  const out = [
    { form: 'utf8', bytes: raw },
    { form: 'utf16le', bytes: Buffer.from(secret, 'utf16le') },
    { form: 'utf16be', bytes: Buffer.from(secret, 'utf16le').swap16() },
  ];
  for (const shift of [0, 1, 2]) {
    // base64 of the secret preceded by `shift` bytes: drop the characters the unknown prefix and the tail touch.
    for (const alphabet of ['base64', 'base64url'] as const) {
      const text = Buffer.concat([Buffer.alloc(shift), raw]).toString(alphabet);
      const stable = text.slice(
        Math.ceil((shift * 4) / 3) + (shift ? 1 : 0),
        Math.floor(((shift + raw.length) * 4) / 3) - 1,
      );
      out.push({ form: `${alphabet}+${shift}`, bytes: Buffer.from(stable, 'ascii') });
    }
  }
  return out;
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Every (file, form) where the secret appears. */
export function findSecret(dir: string, secret: string): string[] {
  const forms = needles(secret);
  const hits: string[] = [];
  for (const file of filesUnder(dir)) {
    const data = readFileSync(file);
    for (const n of forms) if (data.includes(n.bytes)) hits.push(`${file} (${n.form})`);
  }
  return hits;
}

export function findInText(text: string, secret: string): string[] {
  const data = Buffer.from(text, 'utf8');
  return needles(secret)
    .filter((n) => data.includes(n.bytes))
    .map((n) => n.form);
}
