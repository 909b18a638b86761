import { expect } from 'vitest';

/**
 * Asserts that `text` (stored or exported JSON) gives away no part of a BIP-39 phrase. The words are
 * everyday English ("salt", "secret", "dress"), so one can occur by chance as a field name, inside a
 * bech32 address or in a longer word; a leak shows as two consecutive words of the phrase, or as one
 * word standing as a whole string value.
 */
export function expectNoMnemonic(text: string, mnemonic: string): void {
  const words = mnemonic.split(' ');
  const values = text.replace(/"[A-Za-z_]+":/g, '');
  for (const [i, word] of words.entries()) {
    expect(values).not.toContain(`"${word}"`);
    if (i > 0) expect(values).not.toMatch(new RegExp(`\\b${words[i - 1]}\\W+${word}\\b`));
  }
}
