/**
 * `npm run eval -- [--years FROM-TO] [--split report|tune|all] [--contextual on|off|both] [--known-items N]`
 * Prints one JSON object: per index (contextual chunks on, off), per set, per retriever, MRR@10, recall@10 and
 * nDCG@10 (src/eval/harness.ts).
 */
import { Command } from '../cli/commander.js';
import { runEval } from './harness.js';

const opts = new Command()
  .option('--years <from-to>', 'addresses of these years only', '2001-2021')
  .option('--split <split>', 'report (default), tune or all', 'report')
  .option('--contextual <mode>', 'on, off or both', 'both')
  .option('--known-items <n>', 'generated known-item questions', (v) => Number(v), 60)
  .parse()
  .opts();

const [from, to] = opts.years.split('-').map(Number);
const split = opts.split;
if (split !== 'report' && split !== 'tune' && split !== 'all') throw new Error('--split is report, tune or all');
const contextual = { on: [true], off: [false], both: [true, false] }[opts.contextual as 'on' | 'off' | 'both'];
if (!contextual || from === undefined || to === undefined) throw new Error('bad --contextual or --years');
const report = await runEval({
  years: [from, to],
  split,
  contextual,
  knownItems: opts.knownItems,
  log: (m) => process.stderr.write(`[eval] ${m}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
