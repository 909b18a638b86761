/**
 * Secret AI worker attestation before any context leaves: a fake worker on
 * loopback (TLS, its own certificate) serves the real SecretVM `/cpu` quote
 * from ../shared/fixtures on its inference origin, as the workers' Caddy
 * gateway does; collateral comes from a fake PCCS speaking Intel's protocol.
 * The quote is verified with the real dcap-qvl at its collateral's time.
 */
import type { Collateral } from '@phala/dcap-qvl';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AttestationPolicy } from '../../schemas/attestation.js';
import type { ChatFrame } from '../../schemas/chat.js';
import { collateralSource } from '../../src/attest/collateral.js';
import { AttestationError } from '../../src/attest/errors.js';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { sha256Hex, verifyReceipt } from '../../src/crypto/receipt.js';
import { loadLlmConfig } from '../../src/llm/config.js';
import { SecretAiDiscovery } from '../../src/llm/discovery.js';
import { httpRequest, peerKeyOf, PinError } from '../../src/llm/http.js';
import { createLlm } from '../../src/llm/providers.js';
import { LlmError } from '../../src/llm/types.js';
import { checkTlsBinding, WorkerAttestor } from '../../src/llm/worker-attestation.js';
import { collect, fixture, tempDir } from '../helpers/index.js';
import { selfSignedCert, startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startFakePccs, type FakePccs } from '../helpers/fake-pccs.js';
import { flipBits, must } from '../helpers/must.js';
import { startTestService, testUser, textUpload } from '../helpers/service.js';

// secretvm/EXPECTED.md §E: the /cpu file shipped with secret-vm-attest-rest-server; verifies UpToDate at this time.
const QUOTE_HEX = readFileSync(fixture('secretvm', 'attest_rest_cpu_quote_2025.hex'), 'utf8').trim();
const COLLATERAL = JSON.parse(readFileSync(fixture('secretvm', 'kms_collateral_2025.json'), 'utf8')) as Collateral;
const QUOTE_TIME = 1749427442_000;
const ZERO48 = '0'.repeat(96);
const MATCHING: AttestationPolicy = {
  v: 1,
  tcb_status: ['UpToDate'],
  compose_sha256: [],
  rtmr3_scheme: 'attest-tool',
  key_origins: ['enclave'],
  measurements: [
    {
      label: 'attest-rest sample image',
      mrtd: 'a3bf407796ee138c5bba47ee9ca78f2c7d39170f18e02d9232776e6f21d253bfcb7fdb056199e16d38ae3a87890b0640',
      rtmr0: '4f6ed167e66ba448231fe58e076fc5ececbb0c5e3de2d23066aeb077f96d06cef57448c6ad8742b223ed3e00e42836e0',
      rtmr1: ZERO48,
      rtmr2: ZERO48,
      rtmr3: ZERO48,
    },
  ],
};
const CANARY = 'WORKER-CANARY-7d1f';

/** MATCHING's one measurement, to vary. */
const MEASUREMENT = must(MATCHING.measurements[0], 'the policy measurement');

/** createLlm for a configuration that names an LLM provider (so it returns one). */
const llmOf = (...args: Parameters<typeof createLlm>) => must(createLlm(...args), 'an LLM client');

describe('Secret AI worker attestation', () => {
  const dir = tempDir();
  let cert: { key: string; cert: string };
  let worker: FakeLlm;
  let pccs: FakePccs;
  const caFile = join(dir.path, 'worker-ca.pem');

  const policyFile = (name: string, policy: AttestationPolicy) => {
    const file = join(dir.path, `${name}.json`);
    writeFileSync(file, JSON.stringify(policy));
    return file;
  };
  const attestor = (policy: AttestationPolicy, now = QUOTE_TIME) =>
    new WorkerAttestor('require', {
      policy,
      ca: cert.cert,
      refreshMs: 60_000,
      timeoutMs: 5000,
      now: () => now,
      collateral: collateralSource({ pccsUrl: pccs.url }),
    });
  const failedCheck = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof AttestationError ? e.check : String(e)),
    );
  const secretAi = (env: Record<string, string>, now = QUOTE_TIME) =>
    llmOf(
      loadLlmConfig({
        PRAG_LLM: 'secret-ai',
        PRAG_LLM_URL: worker.url,
        PRAG_LLM_MODEL: 'gemma3:4b',
        PRAG_LLM_CA_FILE: caFile,
        PRAG_PCCS_URL: pccs.url,
        PRAG_LLM_POLICY: policyFile('matching', MATCHING),
        PRAG_LLM_ATTEMPTS: '1',
        ...env,
      }),
      { now: () => now },
    );
  const prompt = [{ role: 'user' as const, content: `context with ${CANARY}` }];

  beforeAll(async () => {
    cert = await selfSignedCert();
    writeFileSync(caFile, cert.cert);
    worker = await startFakeLlm({ tls: cert, get: { '/cpu': `${QUOTE_HEX}\n` }, tokens: ['Fine [1].'] });
    pccs = await startFakePccs(COLLATERAL);
  });

  afterAll(async () => {
    await worker?.close();
    await pccs?.close();
    dir.cleanup();
  });

  test('the real quote on the worker origin passes quote, TCB and measurement checks; its report_data binds another TLS key, so the binding refuses it', async () => {
    // The binding is the last check: reaching it means the quote verified (UpToDate) and matched the policy.
    const error = await attestor(MATCHING)
      .attest(worker.url, AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationError);
    expect((error as AttestationError).check).toBe('binding');
    expect((error as AttestationError).message).toContain('1111222233334444'); // the sample's report_data
    expect(worker.gets).toContain('/cpu');
  });

  test('the binding holds exactly when report_data[0:32] is the SHA-256 of the key presented on the connection (or, legacy, of the certificate)', async () => {
    const res = await httpRequest(`${worker.url}/cpu`, {
      method: 'GET',
      signal: AbortSignal.timeout(5000),
      tls: { ca: cert.cert },
    });
    await res.text();
    const der = new X509Certificate(cert.cert).raw;
    const expected = peerKeyOf(der);
    expect(res.peer).toEqual(expected);
    const peer = must(res.peer, 'the peer key');
    const reportData = (first32: string) => new Uint8Array([...hexToBytes(first32), ...new Uint8Array(32)]);
    expect(() => checkTlsBinding(reportData(expected.spkiSha256), peer)).not.toThrow();
    expect(() => checkTlsBinding(reportData(sha256Hex(der)), peer)).not.toThrow();
    expect(() => checkTlsBinding(reportData(sha256Hex('another key')), peer)).toThrow(/binding/);
  });

  test('a connection presenting another key than the pinned one is refused before the request is sent', async () => {
    const before = worker.requests.length;
    const pinned = {
      ca: cert.cert,
      pin: (seen: { spkiSha256: string; certSha256: string }) => new PinError(seen, 'not the attested key'),
    };
    await expect(
      httpRequest(`${worker.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', messages: prompt, stream: true }),
        signal: AbortSignal.timeout(5000),
        tls: pinned,
      }),
    ).rejects.toThrow(/attested key/);
    expect(worker.requests.length).toBe(before);
  });

  test.each([
    [
      'a tampered quote',
      'quote',
      (): string => {
        const q = hexToBytes(QUOTE_HEX);
        flipBits(q, 200);
        return Buffer.from(q).toString('hex');
      },
      MATCHING,
      QUOTE_TIME,
    ],
    [
      'another firmware (MRTD/RTMR0-2)',
      'measurements',
      (): string => QUOTE_HEX,
      { ...MATCHING, measurements: [{ ...MEASUREMENT, rtmr0: 'ab'.repeat(48) }] },
      QUOTE_TIME,
    ],
    [
      'another workload (RTMR3)',
      'rtmr3',
      (): string => QUOTE_HEX,
      { ...MATCHING, measurements: [{ ...MEASUREMENT, rtmr3: 'cd'.repeat(48) }] },
      QUOTE_TIME,
    ],
    [
      'a policy that pins no workload',
      'measurements',
      (): string => QUOTE_HEX,
      { ...MATCHING, measurements: [{ ...MEASUREMENT, rtmr3: undefined }] },
      QUOTE_TIME,
    ],
    ['expired collateral', 'quote', (): string => QUOTE_HEX, MATCHING, QUOTE_TIME + 40 * 86_400_000],
    [
      'a TCB status the policy does not accept',
      'tcb_status',
      (): string => QUOTE_HEX,
      { ...MATCHING, tcb_status: ['OutOfDate' as const] },
      QUOTE_TIME,
    ],
    ['a quote that is not hex', 'quote', (): string => 'not a quote', MATCHING, QUOTE_TIME],
  ] as const)(
    '%s is refused with the matching check, and no context is sent',
    async (_name, check, served, policy, now) => {
      const before = worker.requests.length;
      worker.set({ get: { '/cpu': served() }, tokens: ['Fine [1].'] });
      try {
        expect(
          await failedCheck(attestor(policy as AttestationPolicy, now).attest(worker.url, AbortSignal.timeout(10_000))),
        ).toBe(check);
        const llm = llmOf(
          loadLlmConfig({
            PRAG_LLM: 'secret-ai',
            PRAG_LLM_URL: worker.url,
            PRAG_LLM_MODEL: 'gemma3:4b',
            PRAG_LLM_CA_FILE: caFile,
            PRAG_PCCS_URL: pccs.url,
            PRAG_LLM_POLICY: policyFile(`p-${check}`, policy as AttestationPolicy),
          }),
          { now: () => now },
        );
        const error = await llm
          .open({ messages: prompt, signal: AbortSignal.timeout(10_000) })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LlmError);
        expect(error).toMatchObject({ code: 'worker_attestation_failed' });
        expect((error as Error).message).toContain(`"${check}"`);
        expect(worker.requests.length).toBe(before);
      } finally {
        worker.set({ get: { '/cpu': QUOTE_HEX }, tokens: ['Fine [1].'] });
      }
    },
  );

  test('a worker not on https cannot be attested: its TLS key is what the quote binds', async () => {
    expect(
      await failedCheck(attestor(MATCHING).attest(worker.url.replace('https:', 'http:'), AbortSignal.timeout(5000))),
    ).toBe('transport');
  });

  test('through the service: under require the user gets an error frame and the worker gets nothing; under warn the answer reports the failed check', async () => {
    for (const mode of ['require', 'warn'] as const) {
      const env = {
        PRAG_LLM: 'secret-ai',
        PRAG_LLM_URL: worker.url,
        PRAG_LLM_MODEL: 'gemma3:4b',
        PRAG_LLM_ATTESTATION: mode,
        PRAG_LLM_POLICY: policyFile('svc', MATCHING),
      };
      const svc = await startTestService(join(dir.path, mode), {}, env, {
        llm: secretAi({ PRAG_LLM_ATTESTATION: mode }),
      });
      try {
        const user = await testUser(svc.url);
        await user.client.upload(
          user.permit,
          textUpload('tax.txt', `Tax return 2025: refund of 812 EUR expected. ${CANARY}`),
        );
        const before = worker.requests.length;
        const { frames, request } = await user.client.chat(user.permit, {
          messages: [{ role: 'user', content: 'What refund do I expect?' }],
        });
        const out: ChatFrame[] = [];
        for await (const f of frames) out.push(f);
        const last = must(out.at(-1), 'a frame');
        if (mode === 'require') {
          expect(last).toMatchObject({ type: 'error', error: { code: 'worker_attestation_failed' } });
          expect(worker.requests.length).toBe(before);
        } else {
          expect(worker.requests.length).toBe(before + 1);
          expect(JSON.stringify(must(worker.requests.at(-1), 'a request to the worker').body)).toContain(CANARY);
          if (last.type !== 'final') throw new Error('expected final');
          expect(last.llm).toMatchObject({
            provider: 'secret-ai',
            model: 'gemma3:4b',
            attestation: { mode: 'warn', status: 'failed', check: 'binding', origin: worker.url },
          });
          const receipt = verifyReceipt(
            last.receipt,
            { answer: last.answer, citations: last.citations, request },
            { ed25519: user.client.service.ed25519 },
          );
          expect(receipt.attestation).toEqual(last.llm.attestation);
        }
      } finally {
        await svc.close();
      }
    }
  });

  test('on the dev TEE without a worker policy, answers report the worker as unverified', async () => {
    const llm = llmOf(
      loadLlmConfig({
        SECRET_AI_API_KEY: 'k',
        PRAG_LLM_URL: worker.url,
        PRAG_LLM_MODEL: 'gemma3:4b',
        PRAG_LLM_CA_FILE: caFile,
      }),
    );
    const opened = await llm.open({ messages: prompt, signal: AbortSignal.timeout(5000) });
    await collect(opened.events); // drain
    expect(opened.info.attestation).toMatchObject({ mode: 'warn', status: 'failed', check: 'policy' });
    expect(worker.requests.at(-1)?.headers.authorization).toBe('Bearer k');
  });

  test('with attestation off the answer says it was skipped', async () => {
    const llm = llmOf(
      loadLlmConfig({
        PRAG_LLM: 'secret-ai',
        PRAG_LLM_URL: worker.url,
        PRAG_LLM_MODEL: 'gemma3:4b',
        PRAG_LLM_CA_FILE: caFile,
        PRAG_LLM_ATTESTATION: 'off',
      }),
    );
    const opened = await llm.open({ messages: prompt, signal: AbortSignal.timeout(5000) });
    await collect(opened.events); // drain
    expect(opened.info.attestation).toEqual({ mode: 'off', status: 'skipped', origin: worker.url });
  });

  test('require without a policy, or a provider without its URL, refuses to start; a Secret AI key alone selects Secret AI', () => {
    expect(() => loadLlmConfig({ PRAG_LLM: 'secret-ai', PRAG_TEE: 'secretvm' })).toThrow(/PRAG_LLM_POLICY/);
    expect(() => loadLlmConfig({ PRAG_LLM: 'secret-ai', PRAG_LLM_ATTESTATION: 'require' })).toThrow(/PRAG_LLM_POLICY/);
    expect(loadLlmConfig({ SECRET_AI_API_KEY: 'k', PRAG_TEE: 'dev' })).toMatchObject({
      provider: 'secret-ai',
      attestation: 'warn',
      apiKey: 'k',
    });
    expect(loadLlmConfig({ SECRET_AI_API_KEY: 'k', PRAG_TEE: 'secretvm', PRAG_LLM_POLICY: '/p.json' })).toMatchObject({
      provider: 'secret-ai',
      attestation: 'require',
    });
    expect(() => loadLlmConfig({ PRAG_LLM: 'openai' })).toThrow(/PRAG_LLM_URL/);
    expect(() => loadLlmConfig({ PRAG_LLM: 'openai', PRAG_LLM_URL: 'http://127.0.0.1:1' })).toThrow(/PRAG_LLM_MODEL/);
    expect(loadLlmConfig({}).provider).toBe('extractive');
  });
});

describe('Secret AI discovery (worker-manager contract answers)', () => {
  const answers = (map: Record<string, unknown>) => async (query: object) =>
    map[must(Object.keys(query)[0], 'a query name')];

  test('chat models exclude speech models; URLs come per model; contract error strings and odd shapes are refused', async () => {
    const discovery = new SecretAiDiscovery(
      answers({
        get_models: { models: ['deepseek-r1:70b', 'stt-whisper', 'tts-kokoro', 'gemma3:4b'] },
        get_u_r_ls: { urls: ['https://secretai-rytn.scrtlabs.com:21434/'] },
      }),
      60_000,
    );
    expect(await discovery.chatModels()).toEqual(['deepseek-r1:70b', 'gemma3:4b']);
    expect(await discovery.urls('gemma3:4b')).toEqual(['https://secretai-rytn.scrtlabs.com:21434']);
    // secretjs returns a contract error as a string instead of throwing.
    await expect(
      new SecretAiDiscovery(answers({ get_models: 'Generic error: Querier contract error' }), 0).chatModels(),
    ).rejects.toMatchObject({
      code: 'llm_discovery_failed',
      message: expect.stringContaining('Querier contract error'),
    });
    await expect(new SecretAiDiscovery(answers({ get_models: { models: 'x' } }), 0).chatModels()).rejects.toMatchObject(
      { code: 'llm_discovery_failed' },
    );
  });

  test('without PRAG_LLM_URL the worker comes from the contract; a model no worker serves is a clear error', async () => {
    const fake = await startFakeLlm({ tokens: ['ok'] });
    try {
      const llm = (urls: string[]) =>
        llmOf(loadLlmConfig({ PRAG_LLM: 'secret-ai', PRAG_LLM_ATTESTATION: 'off' }), {
          contractQuery: answers({ get_models: { models: ['stt-whisper', 'llama3.3:70b'] }, get_u_r_ls: { urls } }),
        });
      const opened = await llm([fake.url]).open({
        messages: [{ role: 'user', content: 'hi' }],
        signal: AbortSignal.timeout(5000),
      });
      await collect(opened.events); // drain
      expect(opened.info.model).toBe('llama3.3:70b');
      expect(fake.requests.at(-1)?.body.model).toBe('llama3.3:70b');
      await expect(
        llm([]).open({ messages: [{ role: 'user', content: 'hi' }], signal: AbortSignal.timeout(5000) }),
      ).rejects.toMatchObject({ code: 'llm_model_unknown' });
    } finally {
      await fake.close();
    }
  });

  test("an older worker without the OpenAI route is asked over Ollama's /api/chat", async () => {
    const fake = await startFakeLlm({ tokens: ['from ollama'], ollamaOnly: true });
    try {
      const llm = llmOf(
        loadLlmConfig({
          PRAG_LLM: 'secret-ai',
          PRAG_LLM_URL: fake.url,
          PRAG_LLM_MODEL: 'qwq:32b',
          PRAG_LLM_ATTESTATION: 'off',
        }),
      );
      const opened = await llm.open({ messages: [{ role: 'user', content: 'hi' }], signal: AbortSignal.timeout(5000) });
      let text = '';
      for await (const e of opened.events) if (e.type === 'text') text += e.text;
      expect(text).toBe('from ollama');
      expect(fake.requests.map((r) => r.path)).toEqual(['/api/chat']); // after a 404 on /v1/chat/completions
    } finally {
      await fake.close();
    }
  });
});
