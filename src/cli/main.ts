#!/usr/bin/env node
/** `prag`: the command line. Embedded mode works on a data directory directly, with no server. */
import { ZodError } from 'zod';
import { FORMATS } from '../../schemas/document.js';
import { loadConfig } from '../config.js';
import { indexCommand } from './index-command.js';
import { queryCommand } from './query-command.js';
import {
  attestCommand,
  auditCommand,
  collectionsCommand,
  deleteCommand,
  docsCommand,
  forgetMeCommand,
  keygenCommand,
  revokePermitCommand,
  searchCommand,
  shareCommand,
  sharesCommand,
  unshareCommand,
  uploadCommand,
} from './client-commands.js';
import { serveCommand } from './serve-command.js';
import { askCommand, chatCommand, verifyReceiptCommand } from './chat-commands.js';
import { measureCommand, measureWorkerCommand } from './measure-command.js';
import { rotateCommand } from './rotate-command.js';
import { mcpCommand, proxyCommand } from './integration-commands.js';
import { TEE_PROVIDERS } from '../../schemas/attestation.js';
import { Command, InvalidArgumentError, Option } from './commander.js';

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

program
  .command('index')
  .description('parse, chunk, embed and index files, folders and mbox archives')
  .addOption(dataDir())
  .option('--collection <name>', 'collection to put the documents in', 'default')
  .addOption(owner())
  .option('--json', 'print {documents, chunks, skipped, failed, seconds} as JSON')
  .argument('<paths...>', 'files or folders')
  .action(async (paths, o) => indexCommand(paths, o, loadConfig()));

program
  .command('query')
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
  .action(async (question, o) => queryCommand(question, o, loadConfig()));

program
  .command('serve')
  .description('run the confidential service (attested keys, sealed requests, encrypted storage)')
  .addOption(dataDir())
  .option('--port <n>', 'port (default PRAG_PORT or 8787; 0 picks a free one)', (v) => Number(v))
  .option('--host <address>', 'address to listen on (default PRAG_HOST or 127.0.0.1)')
  .addOption(new Option('--tee <provider>', 'TEE provider (default PRAG_TEE or dev)').choices(TEE_PROVIDERS))
  .action(async (o) => serveCommand(o, loadConfig));

program
  .command('keygen')
  .description('create a new Secret wallet identity file; prints its secret1… address')
  .requiredOption('--out <file>', 'identity file to create (refuses to overwrite)')
  .action(async (o) => keygenCommand(o));

/** Options every command that talks to a service takes. */
const serviceOptions = (cmd: Command) =>
  cmd
    .requiredOption('--url <url>', 'service URL')
    .option('--policy <file>', 'measurement policy (required for hardware evidence; deploy/measure writes one)')
    .option('--allow-insecure-dev', 'accept a service running the insecure dev TEE provider')
    .option(
      '--pccs-url <url>',
      'collateral source for quote verification (default: policy, PRAG_PCCS_URL, or pccs.scrtlabs.com)',
    );
const identityOptions = (cmd: Command) =>
  serviceOptions(cmd)
    .requiredOption('--identity <file>', 'identity file from `prag keygen`')
    .option('--chain-id <id>', 'chain id the permit is signed for', 'secret-4')
    .option('--as <device>', 'device label of the permit signed for this command (revocable on its own)', 'cli');

serviceOptions(program.command('attest').description("verify a service's attestation and print what it proves"))
  .option('--json', 'print the verified statement as JSON')
  .action(async (o) => attestCommand(o));

identityOptions(
  program.command('upload').description('verify the service, encrypt files locally and stream them to it'),
)
  .option('--collection <name>', 'collection to put the documents in')
  .option('--json', 'print one result per file as JSON')
  .argument('<paths...>', 'files or folders')
  .action(async (paths, o) => uploadCommand(paths, o));

identityOptions(program.command('search').description('search your documents on a service'))
  .option('--k <n>', 'number of hits', positiveInt, 10)
  .option('--collection <name>', 'only this collection (repeatable)', collect)
  .option('--json', 'print the hits as a JSON array')
  .argument('<query>', 'what to search for')
  .action(async (query, o) => searchCommand(query, o));

identityOptions(program.command('docs').description('list your documents on a service'))
  .option('--collection <name>', 'only this collection')
  .option('--json', 'print the documents as a JSON array')
  .action(async (o) => docsCommand(o));

identityOptions(
  program.command('delete').description('delete one of your documents (and its attachments) from a service'),
)
  .option('--json', 'print {deleted} as JSON')
  .argument('<doc_id>', 'document id (from `prag docs`)')
  .action(async (docId, o) => deleteCommand(docId, o));

identityOptions(
  program
    .command('revoke-permit')
    .description("revoke one permit by name, or every permit of a device; the other devices' permits keep working"),
)
  .option('--name <permit>', 'permit name to revoke (prag1.…)')
  .option('--device <label>', 'revoke every permit signed for this device label')
  .action(async (o) => revokePermitCommand(o));

identityOptions(
  program
    .command('collections')
    .description('your collections: list, create NAME, rename FROM TO, move --to NAME DOC_ID...'),
)
  .argument('<action>', 'list | create | rename | move')
  .argument('[args...]', 'names or document ids')
  .option('--to <name>', 'target collection (move)')
  .option('--json', 'print JSON')
  .action(async (action, args, o) => collectionsCommand(action, args, o));

identityOptions(
  program.command('share').description('let another address search one of your collections (or documents)'),
)
  .requiredOption('--with <address>', 'secret1… address to share with')
  .option('--collection <name>', 'collection to share')
  .option('--doc <doc_id>', 'a document to share (repeatable; instead of --collection)', collect)
  .option('--expires <when>', 'expiry: 30d, 12h, 45m or a date')
  .action(async (o) => shareCommand(o));

identityOptions(program.command('unshare').description('revoke your grants to an address (one collection, or all)'))
  .requiredOption('--with <address>', 'secret1… address')
  .option('--collection <name>', 'only the grant of this collection')
  .action(async (o) => unshareCommand(o));

identityOptions(
  program
    .command('shares')
    .description('grants you gave and received (list); accept or decline (or leave) one you received by its id'),
)
  .argument('[action]', 'list | accept | decline', 'list')
  .argument('[grant_id]', 'the grant to accept or decline')
  .option('--json', 'print {given, received} (or the answer) as JSON')
  .action(async (action, grantId, o) => sharesCommand(action, grantId, o));

identityOptions(program.command('audit').description('who retrieved your chunks, when, and which'))
  .option('--since <date>', 'only entries from this date')
  .option('--limit <n>', 'at most this many entries', positiveInt, 100)
  .option('--json', 'print the entries as JSON')
  .action(async (o) => auditCommand(o));

identityOptions(
  program.command('forget-me').description('delete everything of yours on a service and destroy your data key'),
)
  .option('--yes', 'really do it')
  .action(async (o) => forgetMeCommand(o));

const chatOptions = (cmd: Command) =>
  identityOptions(cmd)
    .option('--collection <name>', 'only this collection (repeatable)', collect)
    .option('--model <name>', "LLM model (default: the service's)")
    .option('--k <n>', 'passages to retrieve', positiveInt);

chatOptions(
  program
    .command('ask')
    .description('ask a question; the answer streams with its sources, and its receipt is verified'),
)
  .argument('<question>')
  .option('--json', 'print {answer, citations, receipt, llm} as JSON')
  .action(async (question, o) => askCommand(question, o));

chatOptions(program.command('chat').description('an interactive conversation about your documents (/exit to end)'))
  .option('--store', 'keep the conversation on the service, sealed under your key')
  .option('--resume <id>', 'continue a stored conversation')
  .option('--list', 'list your stored conversations')
  .option('--json', 'with --list: print JSON')
  .action(async (o) => chatCommand(o));

identityOptions(
  program
    .command('proxy')
    .description('an OpenAI-compatible API on 127.0.0.1 for chat front-ends; every request verified and sealed'),
)
  .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', (v) => Number(v), 8788)
  .option('--token <token>', 'bearer token local clients must send (default PRAG_PROXY_TOKEN; none: any local user)')
  .option('--collection <name>', 'collection searched when a request names none (repeatable)', collect)
  .action(async (o) => proxyCommand(o));

identityOptions(
  program.command('mcp').description('an MCP server on stdio (search, ask, list) for agent hosts'),
).action(async (o) => mcpCommand(o));

serviceOptions(
  program
    .command('verify-receipt')
    .description("check a saved `prag ask --json` answer against the service's attested key"),
)
  .argument('<file>', 'the saved JSON (- for stdin)')
  .action(async (file, o) => verifyReceiptCommand(file, o));

program
  .command('rotate-master-key')
  .description(
    "re-wrap every owner's data key under a new master key (service stopped; the current key as `prag serve` finds it)",
  )
  .requiredOption('--data-dir <dir>', "the service's data directory")
  .option('--to-enclave', 'a new key born here, kept only in DATA_DIR/master.key (moves off an operator-supplied key)')
  .option('--new-key-file <file>', 'escrow mode: the next operator-supplied master key (64 hex characters)')
  .option('--new-key-env <var>', 'escrow mode: environment variable holding the next master key')
  .action((o) => rotateCommand(o));

program
  .command('measure')
  .description('pin the image into a compose for SecretVM and write the policy clients verify it with (deploy/measure)')
  .requiredOption('--compose <file>', 'compose template (deploy/docker-compose.yaml) or an already pinned compose')
  .option(
    '--image <ref>',
    'the image pinned by digest (name@sha256:…), put where the template says PRAG_IMAGE_PINNED_BY_DIGEST',
  )
  .requiredOption('--registry <file>', 'SecretVM image registry (secretvm-verify artifacts_registry/tdx.csv)')
  .option('--template <name>', 'VM template (small, medium, …)')
  .option('--vm-type <type>', 'prod or dev')
  .option('--version <v>', 'SecretVM artifacts version (repeatable)', collect)
  .addOption(
    new Option('--scheme <scheme>', 'RTMR3 scheme: attest-tool (KMS contract) or dstack')
      .choices(['attest-tool', 'dstack'])
      .default('attest-tool'),
  )
  .option('--app-id <hex>', 'dstack app id (dstack scheme)')
  .option('--docker-files <tar>', 'the extra-files archive uploaded with the VM (its hash is extended into RTMR3)')
  .option('--tcb <status>', 'accepted TCB status (repeatable; default UpToDate)', collect)
  .option('--service-id <id>', 'pin the service id')
  .option('--pccs-url <url>', 'collateral source clients should use')
  .option('--merge <policy>', 'keep accepting what this published policy accepts (rolling upgrade)')
  .option('--out <dir>', 'where docker-compose.yaml and policy.json are written', 'deploy/out')
  .action(async (o) => measureCommand({ ...o, tcb: o.tcb ?? ['UpToDate'] }));

program
  .command('measure-worker')
  .description(
    'write a worker policy (PRAG_LLM_POLICY) from the compose and quote a Secret AI worker serves on its origin',
  )
  .requiredOption('--url <url>', 'the worker origin, e.g. https://secretai-rytn.scrtlabs.com:21434')
  .requiredOption('--registry <file>', 'SecretVM image registry (tdx.csv)')
  .option('--ca <file>', "extra CA (PEM) for the worker's TLS")
  .option('--tcb <status>', 'accepted TCB status (repeatable; default UpToDate)', collect)
  .requiredOption('--out <file>', 'policy file to write')
  .action(async (o) => measureWorkerCommand({ ...o, tcb: o.tcb ?? ['UpToDate'] }));

try {
  await program.parseAsync();
} catch (e) {
  const message =
    e instanceof ZodError
      ? e.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
      : (e as Error).message;
  process.stderr.write(`prag: ${message}\n`);
  process.exitCode = 1;
}
