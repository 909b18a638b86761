/**
 * Deployment files, validated (no Docker engine here): the SecretVM compose
 * template, the Dockerfile, and deploy/measure against the real SecretVM
 * registry and quote from ../shared/fixtures.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { AttestationPolicy } from '../schemas/attestation.js';
import {
  checkComposePinned,
  IMAGE_TOKEN,
  measure,
  MeasureError,
  mergePolicies,
  renderCompose,
  selectPlatforms,
} from '../src/attest/policy.js';
import { checkSecretVmWorkload, matchMeasurements } from '../src/attest/attestation.js';
import { parseTdQuote } from '../src/attest/quote.js';
import { parseTdxRegistry } from '../src/attest/registry.js';
import { hexToBytes } from '../src/crypto/bytes.js';
import { loadServiceConfig } from '../src/server/config.js';
import { fixture, tempDir } from './helpers/index.js';
import { selfSignedCert, startFakeLlm, type FakeLlm } from './helpers/fake-llm.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const TEMPLATE = readFileSync(join(ROOT, 'deploy/docker-compose.yaml'), 'utf8');
const DOCKERFILE = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
const DIGEST = `ghcr.io/example/prag@sha256:${'ab'.repeat(32)}`;
const REGISTRY = parseTdxRegistry(readFileSync(fixture('secretvm', 'tdx.csv'), 'utf8'));
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

type Service = {
  image: string;
  environment: Record<string, string>;
  volumes: string[];
  ports: string[];
  env_file: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
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

  test('it runs the secretvm provider with its data on the encrypted volume, the mounts the provider reads, and secrets from the env file', () => {
    expect(prag.image).toBe(DIGEST);
    const env = prag.environment;
    expect(env.PRAG_TEE).toBe('secretvm');
    expect(prag.volumes).toContain('/mnt/secure/prag:/data');
    for (const file of [
      env.PRAG_SECRETVM_KEY_QUOTE_FILE,
      env.PRAG_SECRETVM_PUBLIC_KEY_FILE,
      env.PRAG_SECRETVM_COMPOSE,
      env.PRAG_LLM_POLICY,
    ]) {
      expect(file, 'every file the service reads is mounted').toBeDefined();
      expect(mounted(file!)).toBe(true);
    }
    expect(prag.volumes.find((v) => v.endsWith(':/app/measured/docker-compose.yaml:ro'))).toMatch(
      /^\/mnt\/config\/docker-compose\.yaml:/,
    );
    expect(prag.env_file).toEqual(['usr/.env']);
    expect(JSON.stringify(prag.environment)).not.toMatch(/MASTER_KEY|API_KEY/); // secrets only through the KMS-encrypted env file
    expect(prag.ports).toEqual([`${env.PRAG_PORT}:${env.PRAG_PORT}`]);
    expect(prag.read_only).toBe(true);
    expect(prag.cap_drop).toEqual(['ALL']);
    // The settings are ones the service accepts (with the env file's secret).
    const config = loadServiceConfig({ ...env, PRAG_MASTER_KEY: 'ab'.repeat(32) });
    expect(config).toMatchObject({
      tee: 'secretvm',
      port: 8787,
      llm: { provider: 'secret-ai', attestation: 'require' },
    });
  });
});

describe('Dockerfile', () => {
  test('multi-stage, production dependencies only, model copied in at build time, non-root, the built CLI as entrypoint', () => {
    expect(DOCKERFILE.match(/^FROM /gm)).toHaveLength(2);
    expect(DOCKERFILE).toMatch(/npm ci\n/);
    expect(DOCKERFILE).toMatch(/npm run build && npm prune --omit=dev/);
    expect(DOCKERFILE).toMatch(/COPY --from=model \/ \/app\/models\/\$\{MODEL_NAME\}\//);
    expect(DOCKERFILE).toMatch(/^USER 10001:10001$/m);
    expect(DOCKERFILE).toMatch(/PRAG_MODEL_DIR=\/app\/models/);
    const entry = /ENTRYPOINT \["node", "dist\/src\/cli\/main\.js", "serve", "--data-dir", "\/data"\]/;
    expect(DOCKERFILE).toMatch(entry);
    expect(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')).toContain('"outDir": "dist"');
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['node_modules', '.prag', '.git']),
    );
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
    expect(summary.platforms[0]!.rtmr3).toMatch(/^[0-9a-f]{96}$/);
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
    const { stdout } = await run(process.execPath, [
      join(ROOT, 'bin/prag.js'),
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
