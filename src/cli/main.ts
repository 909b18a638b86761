#!/usr/bin/env node
/**
 * `prag`: the command line. Embedded mode works on a data directory directly, with no server.
 *
 * Start-up stays light: this module loads only commander and the option helpers; each command's module (and with
 * it the engine, model, wallet or attestation code) is imported when that command runs.
 */
import { Command, Option } from './commander.js';
import { collect, dataDir, identityOptions, owner, positiveInt, serviceOptions } from './options.js';
import { runProgram } from './run.js';
import { packageVersion } from './version.js';

const engineConfig = async () => (await import('../config.js')).loadConfig();

const program = new Command()
  .name('prag')
  .description('PRAG: private retrieval-augmented generation over your own archives')
  .version(packageVersion(), '-V, --version', 'print the version')
  // `--version` is the program's only before a command: after one it is that command's (`measure --version v0.0.34`).
  .enablePositionalOptions()
  .showHelpAfterError()
  // Usage errors become exceptions (exit code 2, see run.ts) instead of commander's own exit.
  .exitOverride();

program
  .command('index')
  .description('parse, chunk, embed and index files, folders and mbox archives')
  .addOption(dataDir())
  .option('--collection <name>', 'collection to put the documents in', 'default')
  .addOption(owner())
  .option('--json', 'print {documents, chunks, skipped, failed, seconds} as JSON')
  .argument('<paths...>', 'files or folders')
  .action(async (paths, o) => (await import('./index-command.js')).indexCommand(paths, o, await engineConfig()));

program
  .command('query')
  .description('hybrid (vector + keyword) search over an index')
  .addOption(dataDir())
  .option('--k <n>', 'number of hits', positiveInt, 10)
  .option('--collection <name>', 'only this collection (repeatable)', collect)
  .option('--format <format>', 'only this format (repeatable): pdf, eml, csv, docx, html, md, txt, …', collect)
  .option('--from <address>', 'only emails from this sender')
  .option('--to <address>', 'only emails to (or cc) this recipient')
  .option('--after <date>', 'only documents covering dates on or after (2024-03-15, 2024-03, yesterday, 7d, last week)')
  .option('--before <date>', 'only documents covering dates on or before (same forms as --after)')
  .addOption(owner())
  .option('--json', 'print the hits as a JSON array')
  .argument('<question>', 'what to search for')
  .action(async (question, o) => (await import('./query-command.js')).queryCommand(question, o, await engineConfig()));

program
  .command('serve')
  .description('run the confidential service (attested keys, sealed requests, encrypted storage)')
  .addOption(dataDir())
  .option('--port <n>', 'port (default PRAG_PORT or 8787; 0 picks a free one)', (v) => Number(v))
  .option('--host <address>', 'address to listen on (default PRAG_HOST or 127.0.0.1)')
  .option('--tee <provider>', 'TEE provider: secretvm, tdx or dev (default PRAG_TEE or dev)')
  .action(async (o) => {
    const { loadConfig } = await import('../config.js');
    await (await import('./serve-command.js')).serveCommand(o, loadConfig);
  });

program
  .command('keygen')
  .description('create a Secret wallet identity file (default: in your config directory); prints its secret1… address')
  .option('--out <file>', 'identity file to create (refuses to overwrite; default: CONFIG_DIR/prag/identity.json)')
  .option('--encrypt', 'encrypt it with a passphrase (asked on the terminal, or PRAG_PASSPHRASE)')
  .option('--force', 'write it even inside a git work tree')
  .option('--profile <name>', 'profile whose identity it becomes when that profile has none')
  .action(async (o) => (await import('./identity-commands.js')).keygenCommand(o));

program
  .command('config')
  .description('defaults for client commands: list | get KEY | set KEY VALUE | unset KEY | use PROFILE')
  .argument('[action]', 'list | get | set | unset | use', 'list')
  .argument('[args...]', 'KEY [VALUE] (url, identity, policy, pccs-url, allow-insecure-dev, chain-id, device)')
  .option('--profile <name>', 'the profile to read or change (default: PRAG_PROFILE or the default profile)')
  .option('--json', 'list: print the config file as JSON')
  .action(async (action, args, o) => (await import('./config-command.js')).configCommand(action, args, o));

serviceOptions(program.command('attest').description("verify a service's attestation and print what it proves"))
  .option('--json', 'print the verified statement as JSON')
  .action(async (o) => (await import('./client-commands.js')).attestCommand(o));

serviceOptions(
  program.command('web').description('serve the web client on 127.0.0.1 for a service (the trustworthy way)'),
)
  .option('--port <n>', 'local port (default 8788; 0 picks a free one)', (v) => Number(v))
  .option('--dir <dir>', 'the built bundle to serve (default: web/dist)')
  .option('--hash', "print the bundle's SHA-256 and exit")
  .option('--json', 'print {url, service, bundle_sha256, attested} as JSON')
  .action(async (o) => (await import('./web-command.js')).webCommand(o));

identityOptions(
  program.command('upload').description('verify the service, encrypt files locally and stream them to it'),
)
  .option('--collection <name>', 'collection to put the documents in')
  .option('--json', 'print one JSON line per event (also without a terminal)')
  .argument('<paths...>', 'files or folders (walked; .pragignore honoured)')
  .action(async (paths, o) => (await import('./upload-command.js')).uploadCommand(paths, o));

identityOptions(
  program
    .command('uploads')
    .description('your uploads on the service: list, --follow ID, cancel ID (rolls the upload back)'),
)
  .argument('[action]', 'list | cancel', 'list')
  .argument('[upload_id]', 'the upload to cancel')
  .option('--follow <upload_id>', 'follow an upload through its stages until it has finished')
  .option('--limit <n>', 'how many to list, newest first', positiveInt, 20)
  .option('--json', 'print JSON')
  .action(async (action, id, o) => (await import('./uploads-command.js')).uploadsCommand(action, id, o));

identityOptions(program.command('search').description('search your documents on a service'))
  .option('--k <n>', 'number of hits', positiveInt, 10)
  .option('--collection <name>', 'only this collection (repeatable)', collect)
  .option('--json', 'print the hits as a JSON array')
  .option('--literal', 'read no dates, senders or kinds of document in the query as filters')
  .argument('<query>', 'what to search for')
  .action(async (query, o) => (await import('./client-commands.js')).searchCommand(query, o));

identityOptions(program.command('docs').description('list your documents on a service'))
  .option('--collection <name>', 'only this collection')
  .option('--json', 'print the documents as a JSON array')
  .action(async (o) => (await import('./client-commands.js')).docsCommand(o));

identityOptions(
  program.command('delete').description('delete one of your documents (and its attachments) from a service'),
)
  .option('--json', 'print {deleted} as JSON')
  .argument('<doc_id>', 'document id (from `prag docs`)')
  .action(async (docId, o) => (await import('./client-commands.js')).deleteCommand(docId, o));

identityOptions(
  program
    .command('open')
    .description('read a document you were cited: a passage in context (--chunk), a page, or save the original'),
)
  .argument('<doc_id>', 'document id (a citation, hit or `prag docs`)')
  .option('--chunk <chunk_id>', 'the cited chunk: printed marked, in its section')
  .option('--page <n>', 'only this page', positiveInt)
  .option('--out <file>', 'save the original file here (single files up to 32 MiB are kept)')
  .option('--force', 'with --out: replace an existing file')
  .option('--json', 'print the document (sections, located chunk) as JSON')
  .action(async (docId, o) => (await import('./open-command.js')).openCommand(docId, o));

identityOptions(
  program
    .command('revoke-permit')
    .description("revoke one permit by name, or every permit of a device; the other devices' permits keep working"),
)
  .option('--name <permit>', 'permit name to revoke (prag1.…)')
  .option('--device <label>', 'revoke every permit signed for this device label')
  .action(async (o) => (await import('./client-commands.js')).revokePermitCommand(o));

identityOptions(
  program
    .command('collections')
    .description('your collections: list, create NAME, rename FROM TO, move --to NAME DOC_ID...'),
)
  .argument('<action>', 'list | create | rename | move')
  .argument('[args...]', 'names or document ids')
  .option('--to <name>', 'target collection (move)')
  .option('--json', 'print JSON')
  .action(async (action, args, o) => (await import('./client-commands.js')).collectionsCommand(action, args, o));

identityOptions(
  program.command('share').description('let another address search one of your collections (or documents)'),
)
  .requiredOption('--with <address>', 'secret1… address to share with')
  .option('--collection <name>', 'collection to share')
  .option('--doc <doc_id>', 'a document to share (repeatable; instead of --collection)', collect)
  .option('--expires <when>', 'expiry: 30d, 12h, 45m, a date (2024-03-15) or words (next friday)')
  .action(async (o) => (await import('./client-commands.js')).shareCommand(o));

identityOptions(program.command('unshare').description('revoke your grants to an address (one collection, or all)'))
  .requiredOption('--with <address>', 'secret1… address')
  .option('--collection <name>', 'only the grant of this collection')
  .action(async (o) => (await import('./client-commands.js')).unshareCommand(o));

identityOptions(
  program
    .command('shares')
    .description('grants you gave and received (list); accept or decline (or leave) one you received by its id'),
)
  .argument('[action]', 'list | accept | decline', 'list')
  .argument('[grant_id]', 'the grant to accept or decline')
  .option('--json', 'print {given, received} (or the answer) as JSON')
  .action(async (action, grantId, o) => (await import('./client-commands.js')).sharesCommand(action, grantId, o));

identityOptions(program.command('audit').description('who retrieved your chunks, when, and which (newest first)'))
  .option('--since <date>', 'only entries from this date (2024-03-15, 2024-03, yesterday, 7d, last week)')
  .option('--limit <n>', 'at most this many entries (the newest)', positiveInt, 100)
  .option('--json', 'print the entries as JSON')
  .action(async (o) => (await import('./client-commands.js')).auditCommand(o));

identityOptions(
  program.command('forget-me').description('delete everything of yours on a service and destroy your data key'),
)
  .option('--yes', 'really do it')
  .action(async (o) => (await import('./client-commands.js')).forgetMeCommand(o));

const chatOptions = (cmd: Command) =>
  identityOptions(cmd)
    .option('--collection <name>', 'only this collection (repeatable)', collect)
    .option('--model <name>', "LLM model (default: the service's)")
    .option('--k <n>', 'passages to retrieve', positiveInt)
    .option('--literal', 'read no dates, senders or kinds of document in the question as filters');

chatOptions(
  program
    .command('ask')
    .description('ask a question; the answer streams with its sources, and its receipt is verified'),
)
  .argument('<question>')
  .option('--json', 'print {answer, citations, receipt, llm} as JSON')
  .action(async (question, o) => (await import('./chat-commands.js')).askCommand(question, o));

chatOptions(program.command('chat').description('an interactive conversation about your documents (/exit to end)'))
  .option('--store', 'keep the conversation on the service, sealed under your key')
  .option('--resume <id>', 'continue a stored conversation')
  .option('--list', 'list your stored conversations')
  .option('--json', 'with --list: print JSON')
  .action(async (o) => (await import('./chat-commands.js')).chatCommand(o));

identityOptions(
  program
    .command('proxy')
    .description('an OpenAI-compatible API on 127.0.0.1 for chat front-ends; every request verified and sealed'),
)
  .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', (v) => Number(v), 8788)
  .option('--token <token>', 'bearer token local clients must send (default PRAG_PROXY_TOKEN; none: any local user)')
  .option('--collection <name>', 'collection searched when a request names none (repeatable)', collect)
  .action(async (o) => (await import('./integration-commands.js')).proxyCommand(o));

identityOptions(
  program.command('mcp').description('an MCP server on stdio (search, ask, list) for agent hosts'),
).action(async (o) => (await import('./integration-commands.js')).mcpCommand(o));

serviceOptions(
  program
    .command('verify-receipt')
    .description("check a saved `prag ask --json` answer against the service's attested key"),
)
  .argument('<file>', 'the saved JSON (- for stdin)')
  .action(async (file, o) => (await import('./chat-commands.js')).verifyReceiptCommand(file, o));

program
  .command('rotate-master-key')
  .description(
    "re-wrap every owner's data key under a new master key (service stopped; the current key as `prag serve` finds it)",
  )
  .requiredOption('--data-dir <dir>', "the service's data directory")
  .option('--to-enclave', 'a new key born here, kept only in DATA_DIR/master.key (moves off an operator-supplied key)')
  .option('--new-key-file <file>', 'escrow mode: the next operator-supplied master key (64 hex characters)')
  .option('--new-key-env <var>', 'escrow mode: environment variable holding the next master key')
  .action(async (o) => (await import('./rotate-command.js')).rotateCommand(o));

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
  .action(async (o) => (await import('./measure-command.js')).measureCommand({ ...o, tcb: o.tcb ?? ['UpToDate'] }));

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
  .action(async (o) =>
    (await import('./measure-command.js')).measureWorkerCommand({ ...o, tcb: o.tcb ?? ['UpToDate'] }),
  );

await runProgram(program);
