/**
 * The environment guard (src/server/environment-guard.ts): under secretvm and tdx, `prag serve` runs only with an
 * environment its measured configuration fixes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  checkAgainstCompose,
  checkEnvironmentNames,
  EnvironmentRefused,
  guardEnvironment,
  PRAG_SETTINGS,
} from '../../src/server/environment-guard.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** What a container's environment holds besides PRAG's settings. */
const BASE = { PATH: '/usr/local/bin:/usr/bin', HOME: '/app', HOSTNAME: 'c0ffee', NODE_VERSION: '20.20.2' };

const COMPOSE = `services:
  prag:
    image: registry.example/prag@sha256:${'ab'.repeat(32)}
    environment:
      NODE_ENV: "production"
      PRAG_TEE: "secretvm"
      PRAG_PORT: "8787"
      PRAG_LLM_ATTESTATION: "require"
      PRAG_CHAIN_ID: "secret-4"
      SECRET_AI_API_KEY: \${SECRET_AI_API_KEY}
`;
const COMPOSE_ENV = {
  NODE_ENV: 'production',
  PRAG_TEE: 'secretvm',
  PRAG_PORT: '8787',
  PRAG_LLM_ATTESTATION: 'require',
  PRAG_CHAIN_ID: 'secret-4',
};

const names = (problems: Array<{ name: string }>) => problems.map((p) => p.name);
const refusal = async (p: Promise<unknown>): Promise<EnvironmentRefused> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EnvironmentRefused);
  return e as EnvironmentRefused;
};

describe('refused outright under secretvm and tdx', () => {
  test.each([
    ['NODE_OPTIONS', '--import=data:text/javascript,process.exit(0)'],
    ['NODE_PATH', '/tmp/mods'],
    ['NODE_EXTRA_CA_CERTS', '/tmp/ca.pem'],
    ['NODE_TLS_REJECT_UNAUTHORIZED', '0'],
    ['NODE_REPL_EXTERNAL_MODULE', '/tmp/x.js'],
    ['NODE_DEBUG', 'tls'],
    ['LD_PRELOAD', '/tmp/x.so'],
    ['LD_LIBRARY_PATH', '/tmp'],
    ['LD_AUDIT', '/tmp/x.so'],
    ['OPENSSL_CONF', '/tmp/openssl.cnf'],
    ['OPENSSL_MODULES', '/tmp'],
    ['SSL_CERT_FILE', '/tmp/ca.pem'],
    ['RUST_LOG', 'debug'],
    ['LANCEDB_LOG', 'debug'],
    ['LANCE_AUTO_MIGRATION', 'true'],
  ])('%s', (name, value) => {
    for (const tee of ['secretvm', 'tdx']) {
      const problems = checkEnvironmentNames(tee, { ...BASE, [name]: value });
      expect(names(problems)).toEqual([name]);
      expect(problems[0]?.problem).toMatch(/never accepted under the secretvm or tdx provider/);
    }
  });

  test('what runs no code and moves no trust is not judged', () => {
    const env = {
      ...BASE,
      UV_THREADPOOL_SIZE: '16',
      LANCE_CPU_THREADS: '4',
      TZ: 'UTC',
      SECRET_AI_API_KEY: 'sk-…',
      YARN_VERSION: '1.22.22',
    };
    expect(checkEnvironmentNames('tdx', env)).toEqual([]);
    expect(checkEnvironmentNames('secretvm', env)).toEqual([]);
  });

  test('a PRAG_* name that is not a setting is refused (removed ones included)', () => {
    for (const name of ['PRAG_X', 'PRAG_SERVICE_ID', 'PRAG_SERVICE_KEYS', 'PRAG_LLM_ATTESTATON']) {
      expect(checkEnvironmentNames('secretvm', { ...BASE, [name]: '1' })).toEqual([
        { name, problem: 'not a PRAG setting (docs/configuration.md lists them)' },
      ]);
    }
  });
});

describe('tdx: no measured record of the environment', () => {
  test('trust-relevant settings are refused; operational ones, the evidence sources and the secrets are not', () => {
    const refused = ['PRAG_KEY_ESCROW', 'PRAG_LLM_ATTESTATION', 'PRAG_CHAIN_ID', 'PRAG_MODEL_DIR', 'PRAG_LLM_URL'];
    const accepted = ['PRAG_TEE', 'PRAG_PORT', 'PRAG_QUOTA_MB', 'PRAG_TSM_REPORT_DIR', 'PRAG_MASTER_KEY', 'NODE_ENV'];
    const env = Object.fromEntries([...refused, ...accepted].map((n) => [n, 'x']));
    const problems = checkEnvironmentNames('tdx', { ...BASE, ...env });
    expect(names(problems).sort()).toEqual([...refused].sort());
    expect(problems[0]?.problem).toMatch(/no measured record of its environment/);
    // Under secretvm the same names are judged against the compose instead.
    expect(checkEnvironmentNames('secretvm', { ...BASE, ...env })).toEqual([]);
  });
});

describe('secretvm: the environment is what the measured compose says', () => {
  const env = { ...BASE, ...COMPOSE_ENV, SECRET_AI_API_KEY: 'sk-secret' };

  test("exactly the compose's environment passes", () => {
    expect(checkAgainstCompose(env, COMPOSE)).toEqual([]);
  });

  test('a setting the compose does not set, a different value, a missing one: each named, values never shown', () => {
    const problems = checkAgainstCompose(
      { ...env, PRAG_QUOTA_MB: '1', PRAG_CHAIN_ID: 'sneaky-chain', NODE_ENV: undefined },
      COMPOSE,
    );
    expect(problems).toEqual([
      { name: 'NODE_ENV', problem: expect.stringMatching(/sets it to "production" but the process does not have it/) },
      { name: 'PRAG_CHAIN_ID', problem: 'differs from the measured compose, which sets "secret-4"' },
      { name: 'PRAG_QUOTA_MB', problem: 'set, but the measured compose does not set it' },
    ]);
    expect(JSON.stringify(problems)).not.toContain('sneaky');
  });

  test('the list form of environment, and $$ as a literal $', () => {
    const compose = `services:\n  prag:\n    environment:\n      - PRAG_TEE=secretvm\n      - PRAG_LLM_URL=https://x/$$y\n`;
    expect(checkAgainstCompose({ PRAG_TEE: 'secretvm', PRAG_LLM_URL: 'https://x/$y' }, compose)).toEqual([]);
  });

  test('a PRAG setting the compose takes from outside itself is refused, even if the value agrees', () => {
    for (const value of ['${PRAG_CHAIN_ID}', '$PRAG_CHAIN_ID', '${CHAIN:-secret-4}', null]) {
      const compose = `services:\n  prag:\n    environment:\n      PRAG_CHAIN_ID: ${value === null ? '' : `"${value}"`}\n`;
      expect(names(checkAgainstCompose({ PRAG_CHAIN_ID: 'secret-4' }, compose))).toEqual(['PRAG_CHAIN_ID']);
    }
    const listed = `services:\n  prag:\n    environment:\n      - PRAG_CHAIN_ID\n`;
    expect(checkAgainstCompose({ PRAG_CHAIN_ID: 'secret-4' }, listed)[0]?.problem).toMatch(/from outside itself/);
  });

  test('unquoted numbers and booleans are refused: the value must be the text clients read', () => {
    const compose = `services:\n  prag:\n    environment:\n      PRAG_PORT: 8787\n`;
    expect(checkAgainstCompose({ PRAG_PORT: '8787' }, compose)[0]?.problem).toMatch(/gives it a number.*quote it/);
  });

  test('secrets come by exactly ${NAME}; a literal secret in the compose is refused', () => {
    const ok = `services:\n  prag:\n    environment:\n      PRAG_MASTER_KEY: \${PRAG_MASTER_KEY}\n`;
    expect(checkAgainstCompose({ PRAG_MASTER_KEY: 'ab'.repeat(32) }, ok)).toEqual([]);
    expect(checkAgainstCompose({}, ok)).toEqual([]);
    const literal = `services:\n  prag:\n    environment:\n      PRAG_MASTER_KEY: "${'ab'.repeat(32)}"\n`;
    expect(checkAgainstCompose({ PRAG_MASTER_KEY: 'ab'.repeat(32) }, literal)).toEqual([
      { name: 'PRAG_MASTER_KEY', problem: expect.stringMatching(/must pass it as \$\{PRAG_MASTER_KEY\}/) },
    ]);
    const renamed = `services:\n  prag:\n    environment:\n      PRAG_MASTER_KEY: \${OLD_KEY}\n`;
    expect(names(checkAgainstCompose({ PRAG_MASTER_KEY: 'x' }, renamed))).toEqual(['PRAG_MASTER_KEY']);
  });

  test('an env_file, a refused variable or an unknown setting in the compose itself is refused', () => {
    const compose = `services:
  prag:
    env_file: [usr/.env]
    environment:
      NODE_OPTIONS: "--import=data:text/javascript,1"
      PRAG_SERVICE_KEYS: "derived"
`;
    const problems = checkAgainstCompose({}, compose);
    expect(problems).toEqual([
      { name: 'compose', problem: expect.stringMatching(/env_file, whose contents are not measured/) },
      { name: 'NODE_OPTIONS', problem: expect.stringMatching(/^set by the measured compose, but passes flags/) },
      { name: 'PRAG_SERVICE_KEYS', problem: 'set by the measured compose, but not a PRAG setting' },
    ]);
  });

  test('no prag service, or no YAML at all', () => {
    expect(checkAgainstCompose({}, 'services:\n  web: {}\n')).toEqual([
      { name: 'compose', problem: 'the measured compose has no `prag` service' },
    ]);
    expect(checkAgainstCompose({}, 'services: [')[0]?.problem).toMatch(/does not parse as YAML/);
  });
});

describe('guardEnvironment', () => {
  test('dev is not guarded: its evidence proves nothing and every policy refuses it', async () => {
    await expect(guardEnvironment(undefined, { NODE_OPTIONS: '--inspect', PRAG_X: '1' })).resolves.toEqual({});
    await expect(guardEnvironment('dev', { PRAG_TEE: 'secretvm', NODE_OPTIONS: '--inspect' })).resolves.toEqual({});
  });

  test('the --tee flag decides the provider over PRAG_TEE', async () => {
    const e = await refusal(guardEnvironment('tdx', { PRAG_TEE: 'dev', PRAG_KEY_ESCROW: 'operator' }));
    expect(e.tee).toBe('tdx');
    expect(names(e.problems)).toEqual(['PRAG_KEY_ESCROW']);
  });

  test('refusals that need no compose come first, all of them, in one message; the compose is not read', async () => {
    let read = 0;
    const e = await refusal(
      guardEnvironment(
        'secretvm',
        { ...BASE, NODE_OPTIONS: '--require=/tmp/x.js', PRAG_X: '1', LD_PRELOAD: 'x' },
        () => {
          read++;
          return Promise.resolve(COMPOSE);
        },
      ),
    );
    expect(read).toBe(0);
    expect(e.message).toBe(
      'refusing to start under the secretvm provider: the environment holds what the measured configuration does not fix (deploy/README.md "Environment"):\n' +
        '  LD_PRELOAD: read by the dynamic loader, which can load shared libraries into the process; never accepted under the secretvm or tdx provider\n' +
        '  NODE_OPTIONS: passes flags to Node itself (--import and --require run code before PRAG starts); never accepted under the secretvm or tdx provider\n' +
        '  PRAG_X: not a PRAG setting (docs/configuration.md lists them)',
    );
  });

  test('secretvm reads the compose from PRAG_SECRETVM_COMPOSE and returns the exact text it checked', async () => {
    const sources: string[] = [];
    const env = { ...BASE, ...COMPOSE_ENV, PRAG_SECRETVM_COMPOSE: '/app/measured/docker-compose.yaml' };
    const compose = COMPOSE.replace(
      '      PRAG_CHAIN_ID',
      '      PRAG_SECRETVM_COMPOSE: "/app/measured/docker-compose.yaml"\n      PRAG_CHAIN_ID',
    );
    const result = await guardEnvironment(undefined, env, (source) => {
      sources.push(source);
      return Promise.resolve(compose);
    });
    expect(sources).toEqual(['/app/measured/docker-compose.yaml']);
    expect(result).toEqual({ compose });
  });

  test('an unreadable compose is a refusal naming where it was looked for', async () => {
    const e = await refusal(
      guardEnvironment('secretvm', { ...COMPOSE_ENV, PRAG_SECRETVM_COMPOSE: '/nonexistent/compose.yaml' }),
    );
    expect(e.problems).toEqual([
      {
        name: 'PRAG_SECRETVM_COMPOSE',
        problem: expect.stringMatching(
          /^the measured compose cannot be read from \/nonexistent\/compose\.yaml \(ENOENT/,
        ),
      },
    ]);
  });
});

test('every PRAG setting the code reads is classified, and nothing else is', () => {
  const sources = [
    'src/config.ts',
    'src/server/config.ts',
    'src/llm/config.ts',
    'src/server/log.ts',
    'src/cli/client-commands.ts',
    'src/cli/profile.ts',
    'src/cli/passphrase.ts',
  ];
  const read = new Set(sources.flatMap((f) => readFileSync(join(ROOT, f), 'utf8').match(/\bPRAG_[A-Z0-9_]+/g) ?? []));
  expect(Object.keys(PRAG_SETTINGS).sort()).toEqual([...read].sort());
});
