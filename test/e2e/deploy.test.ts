/**
 * Deployment files, validated (no Docker engine here): the SecretVM compose
 * template, the Dockerfile, and deploy/measure against the real SecretVM
 * registry and quote from ../shared/fixtures.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { AttestationPolicy } from '../../schemas/attestation.js';
import {
  checkComposePinned,
  IMAGE_TOKEN,
  measure,
  MeasureError,
  mergePolicies,
  renderCompose,
  selectPlatforms,
} from '../../src/attest/policy.js';
import { checkSecretVmWorkload, matchMeasurements } from '../../src/attest/attestation.js';
import { parseTdQuote } from '../../src/attest/quote.js';
import { parseTdxRegistry } from '../../src/attest/registry.js';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { loadServiceConfig } from '../../src/server/config.js';
import {
  checkAgainstCompose,
  checkEnvironmentNames,
  PRAG_SETTINGS,
  refusedOutright,
} from '../../src/server/environment-guard.js';
import { PRAG_BIN, runCli } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/index.js';
import { selfSignedCert, startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { must } from '../helpers/must.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const TEMPLATE = readFileSync(join(ROOT, 'deploy/docker-compose.yaml'), 'utf8');
const DOCKERFILE = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
const DIGEST = `ghcr.io/example/prag@sha256:${'ab'.repeat(32)}`;
const REGISTRY = parseTdxRegistry(readFileSync(fixture('secretvm', 'tdx.csv'), 'utf8'));
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

type Service = {
  image: string;
  environment: Record<string, unknown>;
  volumes: string[];
  ports: string[];
  env_file?: unknown;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
};

/** The Dockerfile's runtime-stage ENV (`ENV A=1 \ B=2`), as a container started from the image has it. */
function imageEnv(dockerfile: string): Record<string, string> {
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const lines = runtime.replace(/\\\n/g, ' ').split('\n');
  const env: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** What else a container's environment holds: Docker's, the official Node image's, what PRAG sets itself. */
const CONTAINER_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOSTNAME: '3f2a9c1d7e4b',
  HOME: '/app',
  NODE_VERSION: '20.20.2',
  YARN_VERSION: '1.22.22',
  LANCE_CPU_THREADS: '4',
};

describe('SecretVM compose', () => {
  const rendered = renderCompose(TEMPLATE, DIGEST);
  const prag = (parse(rendered) as { services: { prag: Service } }).services.prag;
  const mounted = (containerPath: string) => prag.volumes.some((v) => v.split(':')[1] === containerPath);

  test('the template holds the image token once; rendering pins by digest and changes nothing else', () => {
    expect(TEMPLATE.split(IMAGE_TOKEN)).toHaveLength(2);
    expect(() => checkComposePinned(TEMPLATE)).toThrow(MeasureError);
    expect(checkComposePinned(rendered)).toEqual(['prag']);
    expect(rendered.replace(DIGEST, IMAGE_TOKEN)).toBe(TEMPLATE);
    expect(() => renderCompose(TEMPLATE, 'ghcr.io/example/prag:latest')).toThrow(/pinned by digest/);
    expect(() => renderCompose(TEMPLATE, `ghcr.io/example/prag@sha256:${'ab'.repeat(31)}`)).toThrow(/pinned by digest/);
  });

  test('it runs the secretvm provider with its data and keys on the encrypted volume and the mounts the provider reads', () => {
    expect(prag.image).toBe(DIGEST);
    const env = prag.environment;
    expect(env.PRAG_TEE).toBe('secretvm');
    expect(env.PRAG_KEY_ESCROW).toBe('off');
    expect(prag.volumes).toContain('/mnt/secure/prag:/data');
    for (const file of [
      env.PRAG_SECRETVM_KEY_QUOTE_FILE,
      env.PRAG_SECRETVM_PUBLIC_KEY_FILE,
      env.PRAG_SECRETVM_COMPOSE,
      env.PRAG_LLM_POLICY,
    ]) {
      expect(typeof file, 'every file the service reads is named').toBe('string');
      expect(mounted(must(file as string, 'a file the service reads'))).toBe(true);
    }
    expect(prag.volumes.find((v) => v.endsWith(':/app/measured/docker-compose.yaml:ro'))).toMatch(
      /^\/mnt\/config\/docker-compose\.yaml:/,
    );
    expect(prag.ports).toEqual([`${String(env.PRAG_PORT)}:${String(env.PRAG_PORT)}`]);
    expect(prag.read_only).toBe(true);
    expect(prag.cap_drop).toEqual(['ALL']);
  });

  test('no env_file; the one value from outside is ${SECRET_AI_API_KEY}; every PRAG setting is a literal string', () => {
    expect(prag.env_file).toBeUndefined();
    expect(TEMPLATE).not.toMatch(/^\s*-?\s*env_file\s*:/m);
    // The whole file: one interpolation, that one (a `$$` would be a literal dollar; there is none either).
    expect(TEMPLATE.match(/\$/g)).toEqual(['$']);
    expect(TEMPLATE).toContain('SECRET_AI_API_KEY: ${SECRET_AI_API_KEY}\n');
    for (const [name, value] of Object.entries(prag.environment)) {
      if (name === 'SECRET_AI_API_KEY') {
        expect(value).toBe('${SECRET_AI_API_KEY}');
        continue;
      }
      expect(name, 'only PRAG settings and NODE_ENV are fixed here').toMatch(/^(PRAG_[A-Z0-9_]+|NODE_ENV)$/);
      expect(typeof value, `${name} is a quoted literal`).toBe('string');
      expect(refusedOutright(name)).toBeUndefined();
      if (name.startsWith('PRAG_')) expect(PRAG_SETTINGS[name], `${name} is a PRAG setting`).toBeDefined();
      expect(PRAG_SETTINGS[name], 'no secret is a literal in a public file').not.toBe('secret');
    }
    expect(JSON.stringify(prag.environment)).not.toMatch(/MASTER_KEY/); // the keys are born in the VM
  });

  test("the image's own settings are repeated, equal, in the compose", () => {
    const image = imageEnv(DOCKERFILE);
    expect(image).toMatchObject({ PRAG_TEE: 'secretvm', NODE_ENV: 'production' });
    for (const [name, value] of Object.entries(image))
      if (name.startsWith('PRAG_') || name === 'NODE_ENV') expect(prag.environment[name], name).toBe(value);
  });

  test("the guard accepts exactly the compose's environment", () => {
    const fixed = Object.fromEntries(
      Object.entries(prag.environment).filter(([n]) => n !== 'SECRET_AI_API_KEY') as Array<[string, string]>,
    );
    // What the container holds: the image's ENV, then the compose's environment over it, the interpolated secret.
    const env: Record<string, string> = {
      ...CONTAINER_ENV,
      ...imageEnv(DOCKERFILE),
      ...fixed,
      SECRET_AI_API_KEY: 'sk-from-the-kms-env',
    };
    expect(checkEnvironmentNames('secretvm', env)).toEqual([]);
    expect(checkAgainstCompose(env, rendered)).toEqual([]);
    // The settings are ones the service accepts.
    expect(loadServiceConfig(env)).toMatchObject({
      tee: 'secretvm',
      port: 8787,
      keyEscrow: 'off',
      llm: { provider: 'secret-ai', attestation: 'require' },
    });
    // Exactly: any setting changed, removed or added is refused, naming it.
    for (const name of Object.keys(fixed)) {
      expect(checkAgainstCompose({ ...env, [name]: `${env[name]}x` }, rendered).map((p) => p.name)).toEqual([name]);
      expect(checkAgainstCompose({ ...env, [name]: undefined }, rendered).map((p) => p.name)).toEqual([name]);
    }
    for (const name of Object.keys(PRAG_SETTINGS).filter((n) => !(n in fixed))) {
      const added = { ...env, [name]: '1' };
      const problems = [...checkEnvironmentNames('secretvm', added), ...checkAgainstCompose(added, rendered)];
      expect(
        problems.map((p) => p.name),
        `${name} from outside the compose`,
      ).toEqual([name]);
    }
    for (const name of ['NODE_OPTIONS', 'LD_PRELOAD', 'PRAG_X'])
      expect(checkEnvironmentNames('secretvm', { ...env, [name]: '1' }).map((p) => p.name)).toEqual([name]);
  });
});

describe('Dockerfile', () => {
  test('multi-stage, production dependencies only, model copied in at build time, non-root, the built CLI as entrypoint', () => {
    expect(DOCKERFILE.match(/^FROM /gm)).toHaveLength(2);
    expect(DOCKERFILE).toMatch(/npm ci\n/);
    // The CLI and the web bundle (whose hash the service attests) are built in the image, then dev dependencies go.
    expect(DOCKERFILE).toMatch(/npm run build && npm run build:web && .* && npm prune --omit=dev/);
    // The model goes where PRAG looks without a setting (src/config.ts: the only model in dist/models), so no
    // environment names it.
    expect(DOCKERFILE).toMatch(/COPY --from=model \/ \/app\/dist\/models\/\$\{MODEL_NAME\}\//);
    expect(Object.keys(imageEnv(DOCKERFILE))).not.toEqual(expect.arrayContaining(['PRAG_MODEL_DIR']));
    expect(Object.keys(imageEnv(DOCKERFILE))).not.toEqual(expect.arrayContaining(['PRAG_EMBED_MODEL']));
    expect(DOCKERFILE).toMatch(/^USER 10001:10001$/m);
    const entry = /ENTRYPOINT \["node", "dist\/src\/cli\/main\.js", "serve", "--data-dir", "\/data"\]/;
    expect(DOCKERFILE).toMatch(entry);
    expect(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')).toContain('"outDir": "dist"');
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', '.prag', '.git']),
    );
  });
});

/** Whether `version` (x.y.z) satisfies an npm `engines` range (the forms runtime dependencies use). */
function admits(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const parts = (p: string) =>
    p
      .split('.')
      .filter((x) => x !== '' && x !== 'x' && x !== '*')
      .map(Number);
  const comparator = (c: string): boolean => {
    const m = /^(>=|<=|>|<|=|\^|~)?v?(.*)$/.exec(c);
    const op = m?.[1] ?? '';
    const p = parts(m?.[2] ?? '');
    if (!p.length) return true; // *, x
    const lo = [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
    const next = (i: number) => [...p.slice(0, i), (p[i] ?? 0) + 1, 0, 0].slice(0, 3);
    switch (op) {
      case '>=':
        return cmp(v, lo) >= 0;
      case '>':
        return cmp(v, lo) > 0;
      case '<':
        return cmp(v, lo) < 0;
      case '<=':
        return cmp(v, lo) <= 0;
      case '^':
        return cmp(v, lo) >= 0 && cmp(v, next(0)) < 0;
      case '~':
        return cmp(v, lo) >= 0 && cmp(v, next(Math.min(1, p.length - 1))) < 0;
      default: // 20, 20.x, 4.x, =1.2.3
        return cmp(v, lo) >= 0 && cmp(v, next(p.length - 1)) < 0;
    }
  };
  return range.split('||').some((alt) =>
    alt
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .every((c) => comparator(c)),
  );
}

describe('Node version: what package.json, the lockfile and the Dockerfile say agree', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
  };
  const floor = must(/^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1], 'engines.node is ">=x.y.z"');

  test('the range check reads the engines forms in use', () => {
    expect(admits('20.19.0', '>=22.12')).toBe(false);
    expect(admits('20.19.0', '>= 10.x')).toBe(true);
    expect(admits('20.19.0', '20.x || 22.x || 23.x')).toBe(true);
    expect(admits('20.19.0', '^14.21.3 || >=16')).toBe(true);
    expect(admits('20.19.0', '^20.19.0 || ^22.13.0 || >=24')).toBe(true);
    expect(admits('20.18.3', '>=20.19.0 || >=22.13.0 || >=24')).toBe(false);
    expect(admits('20.19.0', '^22 || ^24 || >=26')).toBe(false);
    expect(admits('20.19.0', '*')).toBe(true);
  });

  test("every runtime dependency supports the lowest Node that engines admits; the image's Node is that line", () => {
    expect(lock.packages['']?.engines).toEqual(pkg.engines);
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path && !p.dev && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !admits(floor, (p.engines as { node: string }).node))
      .map(([path, p]) => `${path} (${(p.engines as { node: string }).node})`);
    expect(refusing, `runtime dependencies that do not support Node ${floor}`).toEqual([]);
    const major = floor.split('.')[0];
    expect(DOCKERFILE).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${major}-`, 'm'));
    expect(readFileSync(join(ROOT, 'deploy/README.md'), 'utf8')).toContain(`NODE_IMAGE=node:${major}-`);
  });
});

/** `prag serve` in a child process with exactly this environment (nothing inherited from the test's). */
function serveWith(env: Record<string, string>, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [PRAG_BIN, 'serve', ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        if (!error) resolve({ code: 0, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stderr });
        else reject(new Error(`prag serve did not exit by itself: ${error.message}`));
      },
    );
  });
}

describe('prag serve under secretvm or tdx refuses an environment its measured configuration does not fix', () => {
  const dir = tempDir();
  let runs = 0;
  /** A fresh data directory per run: none of them may come to exist. */
  const dataDir = () => join(dir.path, `data-${++runs}`);
  afterAll(() => dir.cleanup());
  const REFUSAL =
    /^prag: refusing to start under the (secretvm|tdx) provider: the environment holds what the measured configuration does not fix/m;

  test('an injected NODE_OPTIONS: its code runs first (the guard cannot stop that), then PRAG refuses, before any key', async () => {
    const data = dataDir();
    const { code, stderr } = await serveWith(
      { PRAG_TEE: 'secretvm', NODE_OPTIONS: "--import=data:text/javascript,console.error('INJECTED')" },
      ['--data-dir', data],
    );
    expect(code).toBe(1);
    expect(stderr).toContain('INJECTED\n');
    expect(stderr).toMatch(REFUSAL);
    expect(stderr).toContain(
      '  NODE_OPTIONS: passes flags to Node itself (--import and --require run code before PRAG starts); never accepted under the secretvm or tdx provider\n',
    );
    expect(existsSync(data)).toBe(false); // no key file, no store: the guard ran first
  });

  test('LD_PRELOAD under tdx', async () => {
    const data = dataDir();
    const { code, stderr } = await serveWith({ LD_PRELOAD: '/nonexistent/inject.so' }, [
      '--tee',
      'tdx',
      '--data-dir',
      data,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(REFUSAL);
    expect(stderr).toContain('  LD_PRELOAD: read by the dynamic loader');
    expect(existsSync(data)).toBe(false);
  });

  test('an unknown PRAG_X and a trust-relevant setting under tdx: both named, in one refusal', async () => {
    const data = dataDir();
    const { code, stderr } = await serveWith({ PRAG_TEE: 'tdx', PRAG_X: '1', PRAG_LLM_ATTESTATION: 'off' }, [
      '--data-dir',
      data,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(REFUSAL);
    expect(stderr).toContain('  PRAG_LLM_ATTESTATION: changes what PRAG trusts; a tdx guest has no measured record');
    expect(stderr).toContain('  PRAG_X: not a PRAG setting (docs/configuration.md lists them)\n');
    expect(existsSync(data)).toBe(false);
  });

  describe('against a measured compose', () => {
    // The template with the paths that need a VM redirected into the test's directory (nothing listens there).
    const composeFile = join(dir.path, 'compose.yaml');
    const compose = renderCompose(TEMPLATE, DIGEST)
      .replace('"/app/measured/docker-compose.yaml"', JSON.stringify(composeFile))
      .replace('"http://172.17.0.1:49153/sign"', '"http://127.0.0.1:9/sign"')
      .replace('"/app/crypto/docker_attestation_ed25519.txt"', JSON.stringify(join(dir.path, 'quote.txt')))
      .replace('"/app/crypto/docker_public_key_ed25519.pem"', JSON.stringify(join(dir.path, 'vm-key.pem')))
      .replace('"/app/policy/secret-ai-workers.json"', JSON.stringify(join(dir.path, 'workers.json')))
      .replace('PRAG_HOST: "0.0.0.0"', 'PRAG_HOST: "127.0.0.1"')
      .replace('PRAG_PORT: "8787"', 'PRAG_PORT: "0"');
    const prag = (parse(compose) as { services: { prag: Service } }).services.prag;
    const env = Object.fromEntries(
      Object.entries(prag.environment).filter(([n]) => n !== 'SECRET_AI_API_KEY') as Array<[string, string]>,
    );
    beforeAll(() => writeFileSync(composeFile, compose));

    test('its exact environment passes the guard; the process then stops at the first file only the VM has', async () => {
      const { code, stderr } = await serveWith({ ...env, SECRET_AI_API_KEY: 'sk-test' }, ['--data-dir', dataDir()]);
      expect(code).toBe(1);
      expect(stderr).not.toMatch(REFUSAL);
      expect(stderr).toMatch(/^prag: cannot start: .*\/(workers\.json|quote\.txt|vm-key\.pem) does not exist$/m);
    });

    test('one setting more than the compose fixes is refused, naming it', async () => {
      const data = dataDir();
      const { code, stderr } = await serveWith({ ...env, SECRET_AI_API_KEY: 'sk-test', PRAG_QUOTA_MB: '1' }, [
        '--data-dir',
        data,
      ]);
      expect(code).toBe(1);
      expect(stderr).toMatch(REFUSAL);
      expect(stderr).toContain('  PRAG_QUOTA_MB: set, but the measured compose does not set it\n');
      expect(existsSync(data)).toBe(false);
    });

    test('a value other than the compose says is refused; the value is not shown', async () => {
      const { code, stderr } = await serveWith(
        { ...env, SECRET_AI_API_KEY: 'sk-test', PRAG_LLM_ATTESTATION: 'off', PRAG_KEY_ESCROW: 'operator' },
        ['--data-dir', dataDir()],
      );
      expect(code).toBe(1);
      expect(stderr).toContain('  PRAG_KEY_ESCROW: differs from the measured compose, which sets "off"\n');
      expect(stderr).toContain('  PRAG_LLM_ATTESTATION: differs from the measured compose, which sets "require"\n');
      expect(stderr).not.toContain('operator');
    });
  });
});

describe('deploy/measure', () => {
  const dir = tempDir();
  let worker: FakeLlm;
  let cert: { key: string; cert: string };
  beforeAll(async () => {
    cert = await selfSignedCert();
    worker = await startFakeLlm({
      tls: cert,
      get: {
        '/cpu': readFileSync(fixture('secretvm', 'docker_check_cpu_quote.hex'), 'utf8'),
        '/docker-compose': readFileSync(fixture('secretvm', 'docker_check_docker-compose.yaml'), 'utf8'),
      },
    });
  });
  afterAll(async () => {
    await worker?.close();
    dir.cleanup();
  });

  test('on the real SecretVM quote and its compose, the measured policy is exactly what verification needs', () => {
    const quote = parseTdQuote(
      hexToBytes(readFileSync(fixture('secretvm', 'docker_check_cpu_quote.hex'), 'utf8').trim()),
    );
    const compose = readFileSync(fixture('secretvm', 'docker_check_docker-compose.yaml'), 'utf8');
    const m = measure(compose, {
      platforms: selectPlatforms(REGISTRY, { template: 'small', vmType: 'prod', versions: ['v0.0.25'] }),
      scheme: 'attest-tool',
      tcbStatus: ['UpToDate'],
      requirePinned: false,
    });
    expect(m.composeSha256).toBe('d5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961');
    expect(m.rtmr3).toContainEqual({ label: 'small/prod/v0.0.25', rtmr3: quote.rtmr3 }); // secretvm/EXPECTED.md §A (the registry has the version on two hosts)
    const { entry } = checkSecretVmWorkload(
      quote,
      matchMeasurements(quote, m.policy),
      new TextEncoder().encode(compose),
      m.policy,
    );
    expect(entry.label).toBe('small/prod/v0.0.25');
    expect(() =>
      checkSecretVmWorkload(
        quote,
        matchMeasurements(quote, m.policy),
        new TextEncoder().encode(`${compose}\n# tampered`),
        m.policy,
      ),
    ).toThrow(/compose/);
  });

  test("the script renders the compose and writes a policy whose compose hash is the rendered file's", async () => {
    const out = join(dir.path, 'out');
    const { stdout } = await run(join(ROOT, 'deploy/measure'), [
      '--image',
      DIGEST,
      '--registry',
      fixture('secretvm', 'tdx.csv'),
      '--template',
      'small',
      '--vm-type',
      'prod',
      '--version',
      'v0.0.34',
      '--out',
      out,
    ]);
    const summary = JSON.parse(stdout) as {
      compose_sha256: string;
      platforms: Array<{ label: string; rtmr3: string }>;
    };
    const composeBytes = readFileSync(join(out, 'docker-compose.yaml'));
    expect(summary.compose_sha256).toBe(sha256(composeBytes));
    expect(composeBytes.toString()).toBe(renderCompose(TEMPLATE, DIGEST));
    const policy = AttestationPolicy.parse(JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8')));
    expect(policy).toMatchObject({
      compose_sha256: [summary.compose_sha256],
      tcb_status: ['UpToDate'],
      rtmr3_scheme: 'attest-tool',
    });
    expect(policy.measurements.map((m) => m.label)).toEqual(['small/prod/v0.0.34']);
    expect(must(summary.platforms[0], 'a measured platform').rtmr3).toMatch(/^[0-9a-f]{96}$/);
    await expect(
      run(join(ROOT, 'deploy/measure'), [
        '--image',
        'ghcr.io/example/prag:latest',
        '--registry',
        fixture('secretvm', 'tdx.csv'),
        '--out',
        out,
      ]),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/pinned by digest/) });
  });

  test("a rolling upgrade's policy accepts the old release and the new one", () => {
    const opts = { scheme: 'attest-tool' as const, tcbStatus: ['UpToDate' as const] };
    const old = measure(renderCompose(TEMPLATE, DIGEST), {
      ...opts,
      platforms: selectPlatforms(REGISTRY, { template: 'small', vmType: 'prod', versions: ['v0.0.31'] }),
    });
    const next = measure(renderCompose(TEMPLATE, DIGEST.replace('ab', 'cd')), {
      ...opts,
      platforms: selectPlatforms(REGISTRY, { template: 'small', vmType: 'prod', versions: ['v0.0.34'] }),
    });
    const merged = mergePolicies(old.policy, next.policy);
    expect(merged.compose_sha256).toEqual([old.composeSha256, next.composeSha256]);
    expect(merged.measurements).toHaveLength(old.policy.measurements.length + next.policy.measurements.length);
    expect(mergePolicies(merged, next.policy)).toEqual(merged);
    expect(() => mergePolicies(old.policy, { ...next.policy, rtmr3_scheme: 'dstack' })).toThrow(/cannot be merged/);
  });

  test('measure-worker writes a worker policy from the quote and compose a worker serves', async () => {
    const ca = join(dir.path, 'ca.pem');
    writeFileSync(ca, cert.cert);
    const file = join(dir.path, 'worker-policy.json');
    const { stdout } = await runCli([
      'measure-worker',
      '--url',
      worker.url,
      '--registry',
      fixture('secretvm', 'tdx.csv'),
      '--ca',
      ca,
      '--out',
      file,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({
      compose_sha256: 'd5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961',
      platforms: [{ label: 'small/prod/v0.0.25' }],
    });
    const policy = AttestationPolicy.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(policy.measurements.map((m) => m.label)).toEqual(['small/prod/v0.0.25']); // of the four rows sharing MRTD/RTMR0-2, the one RTMR3 replays on
    expect(policy.compose_sha256).toEqual(['d5f25b585a1d1972c6d65d1e04dc630a019bcb6ef6f1bb11eb4f8fe453e21961']);
  });
});
