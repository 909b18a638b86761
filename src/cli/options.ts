/**
 * Option declarations shared by `prag`'s commands (src/cli/main.ts). Kept free
 * of heavy imports: main.ts loads this module for every command, even `--help`.
 */
import { type Command, InvalidArgumentError, Option } from './commander.js';

export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

/** For repeatable options: each use appends. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export const dataDir = () =>
  new Option('--data-dir <dir>', 'data directory (created if missing)').makeOptionMandatory();

export const owner = () => new Option('--owner <id>', 'owner the documents belong to (embedded mode)').default('local');

/**
 * Options every command that talks to a service takes. None is mandatory here: a missing one is taken from the
 * environment, then the profile in the config file (src/cli/profile.ts, docs/configuration.md).
 */
export const serviceOptions = (cmd: Command) =>
  cmd
    .option('--url <url>', 'service URL (default: PRAG_URL or the profile)')
    .option('--profile <name>', 'configuration profile (default: PRAG_PROFILE or the default profile)')
    .option('--policy <file>', 'measurement policy (required for hardware evidence; deploy/measure writes one)')
    .option('--allow-insecure-dev', 'accept a service running the insecure dev TEE provider')
    .option(
      '--pccs-url <url>',
      'collateral source for quote verification (default: policy, PRAG_PCCS_URL, or pccs.scrtlabs.com)',
    );

/** Options of commands that act as the user: `serviceOptions` plus the identity and the permit it signs. */
export const identityOptions = (cmd: Command) =>
  serviceOptions(cmd)
    .option('--identity <file>', 'identity file from `prag keygen` (default: PRAG_IDENTITY or the profile)')
    .option('--chain-id <id>', 'chain id the permit is signed for (default: the profile or secret-4)')
    .option('--as <device>', 'device label of the permit this command signs, revocable on its own (default: cli)');
