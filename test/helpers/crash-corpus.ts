import { bytesSource } from './index.js';

/** Notes of a few chunks each, different enough to be distinct documents. */
export function crashCorpus() {
  return Array.from({ length: 60 }, (_, i) =>
    bytesSource(
      `note-${i}.txt`,
      Array.from(
        { length: 6 },
        (_, p) =>
          `Note ${i}, paragraph ${p}: the ledger for account ${i * 13 + p} shows a payment to vendor ${p * 7 + i} ` +
          `for maintenance of building ${i % 9}, with an invoice reference ${i}-${p}-${(i * p) % 17} and a remark about scheduling.`,
      ).join('\n\n'),
    ),
  );
}
