/** `prag config`: the defaults client commands take from the config file (docs/configuration.md). */
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import { configPath, Profile, profileName, readConfig, updateProfile, writeConfig } from './profile.js';

/** Command-line key → profile field, and how a typed value becomes the field's value. */
const KEYS = {
  url: { field: 'url', value: (v: string) => v.replace(/\/+$/, '') },
  identity: { field: 'identity', value: (v: string) => resolve(v) },
  policy: { field: 'policy', value: (v: string) => resolve(v) },
  'pccs-url': { field: 'pccs_url', value: (v: string) => v },
  'allow-insecure-dev': { field: 'allow_insecure_dev', value: (v: string) => bool(v) },
  'chain-id': { field: 'chain_id', value: (v: string) => v },
  device: { field: 'device', value: (v: string) => v },
} as const satisfies Record<string, { field: keyof Profile; value: (v: string) => unknown }>;
type Key = keyof typeof KEYS;

function bool(v: string): boolean {
  if (/^(true|yes|1|on)$/i.test(v)) return true;
  if (/^(false|no|0|off)$/i.test(v)) return false;
  throw new UsageError(`allow-insecure-dev takes true or false, not "${v}"`);
}

function keyOf(name: string | undefined): Key {
  if (name !== undefined && name in KEYS) return name as Key;
  throw new UsageError(
    `${name === undefined ? 'no key given' : `unknown key "${name}"`}; keys: ${Object.keys(KEYS).join(', ')}`,
  );
}

export async function configCommand(
  action: string,
  args: string[],
  opts: { profile?: string; json?: boolean },
): Promise<void> {
  const config = readConfig();
  const name = profileName(opts.profile, config);
  switch (action) {
    case 'list': {
      if (opts.json) return void process.stdout.write(`${JSON.stringify(config)}\n`);
      process.stdout.write(`# ${configPath()}\n`);
      const names = new Set([name, ...Object.keys(config.profiles)]);
      for (const p of names) {
        process.stdout.write(`[${p}]${p === name ? ' (in use)' : ''}\n`);
        for (const [key, { field }] of Object.entries(KEYS)) {
          const value = config.profiles[p]?.[field];
          if (value !== undefined) process.stdout.write(`  ${key} = ${String(value)}\n`);
        }
      }
      return;
    }
    case 'get': {
      const key = keyOf(args[0]);
      const value = config.profiles[name]?.[KEYS[key].field];
      if (value === undefined) throw new UsageError(`${key} is not set in profile "${name}"`);
      return void process.stdout.write(`${String(value)}\n`);
    }
    case 'set': {
      const key = keyOf(args[0]);
      if (args.length !== 2 || args[1] === undefined) throw new UsageError(`usage: prag config set ${key} VALUE`);
      const value = KEYS[key].value(args[1]);
      const checked = Profile.shape[KEYS[key].field].safeParse(value);
      if (!checked.success) throw new UsageError(`${key} "${args[1]}": ${checked.error.issues[0]?.message}`);
      await updateProfile(name, (p) => ({ ...p, [KEYS[key].field]: value }));
      if (key === 'allow-insecure-dev' && value === true)
        process.stderr.write(
          `warning: profile "${name}" accepts services running the insecure dev provider (nothing attested, the host can read everything)\n`,
        );
      return void process.stderr.write(`${key} = ${String(value)} (profile "${name}", ${configPath()})\n`);
    }
    case 'unset': {
      const key = keyOf(args[0]);
      await updateProfile(name, (p) => {
        const rest = { ...p };
        delete rest[KEYS[key].field];
        return rest;
      });
      return;
    }
    case 'use': {
      const [profile] = args;
      if (args.length !== 1 || profile === undefined) throw new UsageError('usage: prag config use PROFILE');
      if (!config.profiles[profile])
        throw new UsageError(
          `no profile "${profile}" in ${configPath()}; create it with \`prag config set url URL --profile ${profile}\``,
        );
      await writeConfig({ ...config, default_profile: profile });
      return void process.stderr.write(`profile "${profile}" is the default\n`);
    }
    default:
      throw new UsageError(`unknown action "${action}" (list, get, set, unset, use)`);
  }
}
