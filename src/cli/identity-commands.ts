/** `prag keygen`: a wallet identity, kept where it cannot be committed by accident. */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createIdentity } from '../client/identity.js';
import { UsageError } from './errors.js';
import { newPassphrase } from './passphrase.js';
import { configDir, profileName, readConfig, updateProfile } from './profile.js';

/** The root of the git work tree holding `dir`, if any. */
function gitWorkTree(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}

export async function keygenCommand(opts: {
  out?: string;
  encrypt?: boolean;
  force?: boolean;
  profile?: string;
}): Promise<void> {
  const file = resolve(opts.out ?? join(configDir(), 'identity.json'));
  if (existsSync(file))
    throw new UsageError(`${file} already exists (keygen never overwrites an identity); name another with --out FILE`);
  const repo = gitWorkTree(dirname(file));
  if (repo && !opts.force)
    throw new UsageError(
      `${file} is inside the git work tree ${repo}, where the mnemonic could be committed; leave out --out (default: ${join(configDir(), 'identity.json')}) or pass --force`,
    );
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const passphrase = opts.encrypt ? await newPassphrase(file) : undefined;
  const address = await createIdentity(file, { passphrase });
  process.stdout.write(`${address}\n`);
  process.stderr.write(
    `identity written to ${file} (keep it private: it holds the wallet's mnemonic${passphrase ? ', encrypted with your passphrase' : ''})\n`,
  );
  const config = readConfig();
  const profile = profileName(opts.profile, config);
  if (!config.profiles[profile]?.identity) {
    await updateProfile(profile, (p) => ({ ...p, identity: file }));
    process.stderr.write(`it is the identity of profile "${profile}" from now on\n`);
  }
}
