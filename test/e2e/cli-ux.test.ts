/**
 * The CLI as a new user meets it: start-up that loads only what a command needs, defaults from the config file,
 * the environment and profiles, one exit-code convention (0 success, 1 failure, 2 usage), one-line errors that
 * name the file or URL and the fix, dates in natural forms, and identity files kept safely.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const data = tempDir();
const work = tempDir();
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService(data.path);
});
afterAll(async () => {
  await svc.close();
  data.cleanup();
  work.cleanup();
});

/** A config directory of its own per user of the CLI in these tests. */
const configHome = (name: string) => join(work.path, name, 'config');

/** `prag ...args` as the user whose config directory is `home`; resolves whatever the exit code. */
function prag(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliOutput & { code: number }> {
  return runCli(args, { env: { XDG_CONFIG_HOME: home, PRAG_CACHE_DIR: work.path, ...env } }).then(
    (o) => ({ ...o, code: 0 }),
    (e: CliOutput & { code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
  );
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The module URLs a run of the CLI loads, from a resolve hook registered before it starts. */
async function modulesLoaded(args: string[]): Promise<string[]> {
  const hook = join(work.path, 'list-modules.mjs');
  writeFileSync(
    hook,
    `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(
      'export async function resolve(s, c, next) { const r = await next(s, c); console.error("LOADED " + r.url); return r; }',
    )}));\n`,
  );
  const run = await prag(configHome('modules'), args, { NODE_OPTIONS: `--import=${hook}` });
  return run.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
}

const HEAVY =
  /\/dist\/src\/(engine|embed|store|server)\/|lancedb|@huggingface|onnxruntime|secretjs|\/tsx\/|chrono-node/;

describe('prag start-up', () => {
  it('--help loads commander and the option helpers only; a client command loads no engine, model or tsx', async () => {
    const help = await modulesLoaded(['--help']);
    expect(help.some((u) => u.endsWith('/dist/src/cli/main.js'))).toBe(true); // the compiled CLI, not tsx
    expect(help.filter((u) => HEAVY.test(u) || /\/zod\//.test(u))).toEqual([]);
    const search = await modulesLoaded(['search', 'x', '--url', `http://127.0.0.1:${await closedPort()}`]);
    expect(search.some((u) => u.includes('/dist/src/client/session.js'))).toBe(true);
    expect(search.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await prag(configHome('v'), ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("usage errors exit 2, commander's own included; help exits 0", async () => {
    const home = configHome('usage');
    expect((await prag(home, ['--help'])).code).toBe(0);
    expect(await prag(home, ['serch', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command'),
    });
    expect((await prag(home, ['search'])).code).toBe(2);
    expect((await prag(home, ['search', '--k', 'many', 'x'])).code).toBe(2);
    expect((await prag(home, ['search', '--no-such-flag', 'x'])).code).toBe(2);
    expect(await prag(home, ['search', 'x'])).toMatchObject({
      code: 2,
      stderr: 'prag: no service URL: pass --url URL, set PRAG_URL, or save one with `prag config set url URL`\n',
    });
    expect(await prag(home, ['search', 'x', '--url', 'localhost:8787'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('did you mean http://localhost:8787?'),
    });
  });
});

describe('prag defaults: config file, environment, profiles', () => {
  it('keygen writes to the config directory (0600 in 0700) and becomes the default identity; config set url and allow-insecure-dev make flags unnecessary, with a warning on every run', async () => {
    const home = configHome('alice');
    const keygen = await prag(home, ['keygen']);
    expect(keygen.code).toBe(0);
    const identity = join(home, 'prag', 'identity.json');
    expect(statSync(identity).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'prag')).mode & 0o777).toBe(0o700);
    expect(await prag(home, ['keygen'])).toMatchObject({ code: 2, stderr: expect.stringContaining('already exists') });

    // The dev refusal names the flag and the config key, not an internal option name.
    const refused = await prag(home, ['attest', '--url', svc.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--allow-insecure-dev');
    expect(refused.stderr).toContain('prag config set allow-insecure-dev true');
    expect(refused.stderr).not.toMatch(/allowInsecureDev/);

    await prag(home, ['config', 'set', 'url', svc.url]);
    expect((await prag(home, ['config', 'set', 'allow-insecure-dev', 'true'])).stderr).toMatch(/warning/);
    expect(statSync(join(home, 'prag', 'config.json')).mode & 0o777).toBe(0o600);
    expect((await prag(home, ['config', 'get', 'url'])).stdout).toBe(`${svc.url}\n`);
    const docs = await prag(home, ['docs', '--json']);
    expect(docs).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(docs.stderr).toMatch(/WARNING: the service runs the insecure dev provider/);

    // The environment wins over the profile; a bad value in it is named.
    expect(await prag(home, ['docs'], { PRAG_URL: 'ftp://example.org' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('"ftp://example.org" is not an http:// or https:// URL'),
    });
    expect((await prag(home, ['config', 'set', 'url', 'not a url'])).code).toBe(2);
  });

  it('named profiles: --profile and PRAG_PROFILE select one, config use makes one the default, an unknown one is named', async () => {
    const home = configHome('profiles');
    await prag(home, ['keygen']);
    const port = await closedPort();
    await prag(home, ['config', 'set', 'url', `http://127.0.0.1:${port}`]);
    await prag(home, ['config', 'set', 'url', svc.url, '--profile', 'work']);
    await prag(home, ['config', 'set', 'allow-insecure-dev', 'yes', '--profile', 'work']);
    await prag(home, ['config', 'set', 'identity', join(home, 'prag', 'identity.json'), '--profile', 'work']);
    expect(await prag(home, ['docs'])).toMatchObject({ code: 1, stderr: expect.stringContaining(`127.0.0.1:${port}`) });
    expect((await prag(home, ['docs', '--profile', 'work'])).code).toBe(0);
    expect((await prag(home, ['docs'], { PRAG_PROFILE: 'work' })).code).toBe(0);
    expect(await prag(home, ['docs', '--profile', 'hone'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no profile "hone" in .*config\.json \(profiles: default, work\)/),
    });
    await prag(home, ['config', 'use', 'work']);
    expect((await prag(home, ['docs'])).code).toBe(0);
    expect(JSON.parse((await prag(home, ['config', 'list', '--json'])).stdout)).toMatchObject({
      version: 1,
      default_profile: 'work',
      profiles: { work: { url: svc.url, allow_insecure_dev: true } },
    });
  });
});

describe('prag errors a user can cause: one line naming the file or URL and the fix', () => {
  const common = () => ['--allow-insecure-dev', '--identity', join(configHome('errors'), 'prag', 'identity.json')];
  beforeAll(async () => {
    await prag(configHome('errors'), ['keygen']);
  });

  it('an unreachable service: refused connection, DNS, wrong scheme', async () => {
    const home = configHome('errors');
    const port = await closedPort();
    expect(await prag(home, ['search', ...common(), '--url', `http://127.0.0.1:${port}`, 'x'])).toMatchObject({
      code: 1,
      stderr: `prag: cannot reach http://127.0.0.1:${port}: connection refused (is the service running, on this host and port?)\n`,
    });
    expect(await prag(home, ['search', ...common(), '--url', 'http://prag.invalid', 'x'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^prag: cannot reach http:\/\/prag\.invalid: the host name .*(DNS.*)\n$/),
    });
    const https = svc.url.replace('http:', 'https:');
    expect(await prag(home, ['search', ...common(), '--url', https, 'x'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`^prag: cannot reach ${https}: TLS failed.*http://`)),
    });
  });

  it('identity files: missing, a directory, not an identity, with the path', async () => {
    const home = configHome('errors');
    const run = (identity: string) =>
      prag(home, ['docs', '--url', svc.url, '--allow-insecure-dev', '--identity', identity]);
    const missing = join(work.path, 'nope.json');
    expect(await run(missing)).toMatchObject({
      code: 2,
      stderr: `prag: identity file ${missing} does not exist; create one with \`prag keygen\`\n`,
    });
    expect(await run(work.path)).toMatchObject({
      code: 2,
      stderr: `prag: identity file ${work.path} is a directory; name the file inside it\n`,
    });
    const bad = join(work.path, 'bad.json');
    writeFileSync(bad, '{"mnemonic": 1}');
    expect(await run(bad)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`${bad} is not a PRAG identity file`),
    });
  });

  it('limits are checked before any network call; unknown collections are an error listing the known ones', async () => {
    const home = configHome('errors');
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    // The service is not even running: the refusal comes before any connection.
    expect(await prag(home, ['search', ...common(), '--url', unreachable, 'x'.repeat(5000)])).toMatchObject({
      code: 2,
      stderr: 'prag: query is too long (at most 4000 characters)\n',
    });
    expect((await prag(home, ['ask', ...common(), '--url', unreachable, 'x'.repeat(50_000)])).code).toBe(2);
    const notes = join(work.path, 'notes.txt');
    writeFileSync(notes, 'The boiler service is due in October.');
    expect((await prag(home, ['upload', ...common(), '--url', svc.url, '--collection', 'home', notes])).code).toBe(0);
    expect(await prag(home, ['search', ...common(), '--url', svc.url, '--collection', 'hom', 'boiler'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('prag: no collection "hom"; yours: home\n'),
    });
    expect((await prag(home, ['docs', ...common(), '--url', svc.url, '--collection', 'hom'])).code).toBe(2);
    const found = await prag(home, [
      'search',
      ...common(),
      '--url',
      svc.url,
      '--collection',
      'home',
      '--json',
      'boiler',
    ]);
    expect(JSON.parse(found.stdout)).toMatchObject([{ source: 'notes.txt' }]);
  });

  it('dates: natural forms accepted, nonsense and past expiries refused with the forms to use', async () => {
    const home = configHome('errors');
    const at = ['--url', svc.url, ...common()];
    for (const since of ['yesterday', '7d', '2024-03', '2024-03-15', 'last week'])
      expect((await prag(home, ['audit', ...at, '--since', since])).code).toBe(0);
    expect(await prag(home, ['audit', ...at, '--since', 'someday soonish'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--since "someday soonish" is not a date; try 2024-03-15, 2024-03'),
    });
    expect(
      await prag(home, ['share', ...at, '--with', 'secret1x', '--collection', 'home', '--expires', '2020-01-01']),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--expires "2020-01-01" is in the past'),
    });
  });
});

describe('prag identity kept safely', () => {
  it('keygen refuses a path inside a git work tree unless --force', async () => {
    const repo = join(work.path, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const inside = join(repo, 'me.json');
    expect(await prag(configHome('git'), ['keygen', '--out', inside])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`inside the git work tree ${repo}`),
    });
    expect(existsSync(inside)).toBe(false);
    expect((await prag(configHome('git'), ['keygen', '--out', inside, '--force'])).code).toBe(0);
    expect(statSync(inside).mode & 0o777).toBe(0o600);
  });

  it('a passphrase-encrypted identity opens with its passphrase only', async () => {
    const home = configHome('encrypted');
    const keygen = await prag(home, ['keygen', '--encrypt'], { PRAG_PASSPHRASE: 'correct horse battery staple' });
    expect(keygen.code).toBe(0);
    const file = readFileSync(join(home, 'prag', 'identity.json'), 'utf8');
    const stored = JSON.parse(file) as Record<string, unknown>;
    expect(stored).toMatchObject({ kind: 'prag-identity-encrypted', version: 1, address: keygen.stdout.trim() });
    expect(stored.kdf).toMatchObject({ name: 'scrypt' });
    expect(file).not.toMatch(/mnemonic/);
    const at = ['--url', svc.url, '--allow-insecure-dev'];
    expect((await prag(home, ['docs', ...at], { PRAG_PASSPHRASE: 'correct horse battery staple' })).code).toBe(0);
    expect(await prag(home, ['docs', ...at], { PRAG_PASSPHRASE: 'wrong' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('wrong passphrase for'),
    });
    expect(await prag(home, ['docs', ...at])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('is encrypted: set PRAG_PASSPHRASE or run the command on a terminal'),
    });
  });

  it('revoking the device in use warns and moves later commands to a new device label, saved in the profile', async () => {
    const home = configHome('revoke');
    await prag(home, ['keygen']);
    await prag(home, ['config', 'set', 'url', svc.url]);
    await prag(home, ['config', 'set', 'allow-insecure-dev', 'true']);
    const revoked = await prag(home, ['revoke-permit', '--device', 'cli']);
    expect(revoked.code).toBe(0);
    const device = JSON.parse(readFileSync(join(home, 'prag', 'config.json'), 'utf8')).profiles.default
      .device as string;
    expect(device).toMatch(/^cli-[0-9a-f]{6}$/);
    expect(revoked.stderr).toContain(`later commands sign permits for the device "${device}"`);
    expect((await prag(home, ['docs'])).code).toBe(0); // not locked out
    expect(await prag(home, ['docs', '--as', 'cli'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('permit_revoked'),
    });
  });

  it('audit lists the newest first, and --limit keeps the newest', async () => {
    const home = configHome('revoke');
    const note = join(work.path, 'dentist.txt');
    writeFileSync(note, 'Dentist appointment on Tuesday at nine.');
    expect((await prag(home, ['upload', note])).code).toBe(0);
    for (const q of ['dentist', 'appointment', 'tuesday']) await prag(home, ['search', q]);
    const all = JSON.parse((await prag(home, ['audit', '--json'])).stdout) as Array<{ at: string }>;
    expect(all.length).toBeGreaterThanOrEqual(3);
    const times = all.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(JSON.parse((await prag(home, ['audit', '--json', '--limit', '1'])).stdout)).toEqual([all[0]]);
  });
});
