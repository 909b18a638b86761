/**
 * Defaults for client commands (docs/configuration.md): a flag wins, then the
 * environment (PRAG_URL, PRAG_IDENTITY, …), then the profile in the config
 * file `$XDG_CONFIG_HOME/prag/config.json` (or `~/.config/prag/config.json`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UsageError } from './errors.js';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'expected an http:// or https:// URL');

export const Profile = z
  .object({
    url: httpUrl.optional(),
    identity: z.string().min(1).optional(),
    policy: z.string().min(1).optional(),
    pccs_url: httpUrl.optional(),
    allow_insecure_dev: z.boolean().optional(),
    chain_id: z.string().min(1).optional(),
    /** Device label of the permits commands sign; changed when the device in use is revoked. */
    device: z.string().min(1).max(64).optional(),
  })
  .strict();
export type Profile = z.infer<typeof Profile>;

const ConfigFile = z
  .object({
    version: z.literal(1),
    default_profile: z.string().min(1).optional(),
    profiles: z.record(z.string().min(1), Profile),
  })
  .strict();
type ConfigFile = z.infer<typeof ConfigFile>;

export const DEFAULT_PROFILE = 'default';
export const DEFAULT_DEVICE = 'cli';
export const DEFAULT_CHAIN_ID = 'secret-4';

export const configDir = (): string => join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'prag');
export const configPath = (): string => join(configDir(), 'config.json');

export function readConfig(file = configPath()): ConfigFile {
  if (!existsSync(file)) return { version: 1, profiles: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); fix it or remove it`);
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}; fix it with \`prag config set\` or by hand`,
    );
  return parsed.data;
}

/** Writes the config file (directory 0700, file 0600) through a temporary file, so a crash leaves the old one. */
export async function writeConfig(config: ConfigFile, file = configPath()): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(ConfigFile.parse(config), null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

/** The profile a command uses: --profile, then PRAG_PROFILE, then the file's default_profile, then "default". */
export function profileName(flag: string | undefined, config: ConfigFile): string {
  return flag ?? (process.env.PRAG_PROFILE || undefined) ?? config.default_profile ?? DEFAULT_PROFILE;
}

export interface ServiceFlags {
  url?: string;
  profile?: string;
  policy?: string;
  allowInsecureDev?: boolean;
  pccsUrl?: string;
}

export interface IdentityFlags extends ServiceFlags {
  identity?: string;
  chainId?: string;
  /** Device label of the permit this command signs. */
  as?: string;
}

export interface ServiceSettings {
  url: string;
  policy?: string;
  allowInsecureDev: boolean;
  pccsUrl?: string;
  /** The profile the settings came from. */
  profile: string;
}

export interface IdentitySettings extends ServiceSettings {
  identity: string;
  chainId: string;
  device: string;
  /** Where the device label came from: only a profile's (or the default) label is switched on revocation. */
  deviceFromFlag: boolean;
}

const env = (name: string) => process.env[name] || undefined;

/** PRAG_ALLOW_INSECURE_DEV: `1` accepts dev evidence, `0` refuses it; anything else is a mistake, not a yes. */
function insecureFromEnv(): boolean | undefined {
  const value = env('PRAG_ALLOW_INSECURE_DEV');
  if (value === undefined) return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new UsageError(
    `PRAG_ALLOW_INSECURE_DEV=${value}: set 1 to accept a service on the dev provider, 0 to refuse it`,
  );
}

function selectedProfile(flag: string | undefined): { name: string; profile: Profile } {
  const config = readConfig();
  const name = profileName(flag, config);
  const profile = config.profiles[name];
  if (!profile && name !== DEFAULT_PROFILE) {
    const known = Object.keys(config.profiles);
    throw new UsageError(
      `no profile "${name}" in ${configPath()} (${known.length ? `profiles: ${known.join(', ')}` : 'it has none'}); create it with \`prag config set url URL --profile ${name}\``,
    );
  }
  return { name, profile: profile ?? {} };
}

export function serviceSettings(flags: ServiceFlags): ServiceSettings {
  const { name, profile } = selectedProfile(flags.profile);
  const url = flags.url ?? env('PRAG_URL') ?? profile.url;
  if (url === undefined)
    throw new UsageError('no service URL: pass --url URL, set PRAG_URL, or save one with `prag config set url URL`');
  const checked = httpUrl.safeParse(url);
  if (!checked.success)
    throw new UsageError(
      `"${url}" is not an http:// or https:// URL${/^[\w.-]+:\d+$/.test(url) ? ` (did you mean http://${url}?)` : ''}`,
    );
  return {
    url: url.replace(/\/+$/, ''),
    policy: flags.policy ?? env('PRAG_POLICY') ?? profile.policy,
    allowInsecureDev: flags.allowInsecureDev ?? insecureFromEnv() ?? profile.allow_insecure_dev ?? false,
    pccsUrl: flags.pccsUrl ?? profile.pccs_url,
    profile: name,
  };
}

export function identitySettings(flags: IdentityFlags): IdentitySettings {
  const service = serviceSettings(flags);
  const { profile } = selectedProfile(flags.profile);
  const identity = flags.identity ?? env('PRAG_IDENTITY') ?? profile.identity;
  if (identity === undefined)
    throw new UsageError(
      'no identity: pass --identity FILE, set PRAG_IDENTITY, or create one with `prag keygen` (it is saved as the default)',
    );
  return {
    ...service,
    identity,
    chainId: flags.chainId ?? profile.chain_id ?? DEFAULT_CHAIN_ID,
    device: flags.as ?? profile.device ?? DEFAULT_DEVICE,
    deviceFromFlag: flags.as !== undefined,
  };
}

/** Changes one profile in the config file (created if missing). */
export async function updateProfile(name: string, change: (profile: Profile) => Profile): Promise<void> {
  const config = readConfig();
  await writeConfig({
    ...config,
    profiles: { ...config.profiles, [name]: Profile.parse(change(config.profiles[name] ?? {})) },
  });
}
