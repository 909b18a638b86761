#!/usr/bin/env node
/** `prag`: the command line. Embedded mode works on a data directory directly, with no server. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ZodError } from 'zod';
import { FORMATS } from '../../schemas/document.js';
import { loadConfig } from '../config.js';
import { indexCommand } from './index-command.js';
import { queryCommand } from './query-command.js';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

const program = new Command()
  .name('prag')
  .description('PRAG: private retrieval-augmented generation over your own archives')
  .showHelpAfterError();

const dataDir = () => new Option('--data-dir <dir>', 'data directory (created if missing)').makeOptionMandatory();
const owner = () => new Option('--owner <id>', 'owner the documents belong to (embedded mode)').default('local');

program.command('index')
  .description('parse, chunk, embed and index files, folders and mbox archives')
  .addOption(dataDir())
  .option('--collection <name>', 'collection to put the documents in', 'default')
  .addOption(owner())
  .option('--json', 'print {documents, chunks, skipped, failed, seconds} as JSON')
  .argument('<paths...>', 'files or folders')
  .action(async (paths: string[], o) => indexCommand(paths, o, loadConfig()));

program.command('query')
  .description('hybrid (vector + keyword) search over an index')
  .addOption(dataDir())
  .option('--k <n>', 'number of hits', positiveInt, 10)
  .option('--collection <name>', 'only this collection (repeatable)', collect)
  .addOption(new Option('--format <format>', 'only this format (repeatable)').choices(FORMATS).argParser(collect))
  .option('--from <address>', 'only emails from this sender')
  .option('--to <address>', 'only emails to (or cc) this recipient')
  .option('--after <date>', 'only documents dated on or after (YYYY-MM-DD)')
  .option('--before <date>', 'only documents dated on or before (YYYY-MM-DD)')
  .addOption(owner())
  .option('--json', 'print the hits as a JSON array')
  .argument('<question>', 'what to search for')
  .action(async (question: string, o) => queryCommand(question, o, loadConfig()));

try {
  await program.parseAsync();
} catch (e) {
  const message = e instanceof ZodError ? e.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ') : (e as Error).message;
  process.stderr.write(`prag: ${message}\n`);
  process.exitCode = 1;
}
