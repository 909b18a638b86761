/**
 * `prag measure` (deploy/measure): pins the image into the compose and writes
 * the policy clients verify the deployment with. `prag measure-worker`: the
 * policy for a Secret AI worker, from the compose and quote it serves.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttestationPolicy, type TcbStatus } from '../../schemas/attestation.js';
import { matchRegistry, measure, mergePolicies, renderCompose, selectPlatforms } from '../attest/policy.js';
import { parseTdxRegistry } from '../attest/registry.js';
import { parseTdQuote } from '../attest/quote.js';
import { bytesToHex, hexToBytes } from '../crypto/bytes.js';
import { httpRequest } from '../llm/http.js';
import { out } from './client-commands.js';

export interface MeasureFlags {
  compose: string;
  image?: string;
  registry: string;
  template?: string;
  vmType?: string;
  version?: string[];
  scheme: 'attest-tool' | 'dstack';
  appId?: string;
  dockerFiles?: string;
  tcb: string[];
  serviceId?: string;
  pccsUrl?: string;
  /** A published policy whose compose hashes and platforms stay accepted (a rolling upgrade). */
  merge?: string;
  out: string;
}

export async function measureCommand(flags: MeasureFlags): Promise<void> {
  const template = await readFile(flags.compose, 'utf8');
  const compose = flags.image ? renderCompose(template, flags.image) : template;
  const platforms = selectPlatforms(parseTdxRegistry(await readFile(flags.registry, 'utf8')), {
    template: flags.template,
    vmType: flags.vmType,
    versions: flags.version,
  });
  const dockerFilesSha256 = flags.dockerFiles ? bytesToHex(sha256(await readFile(flags.dockerFiles))) : undefined;
  const m = measure(compose, {
    platforms,
    scheme: flags.scheme,
    dstackAppId: flags.appId,
    dockerFilesSha256,
    tcbStatus: flags.tcb as Exclude<TcbStatus, 'Revoked'>[],
    serviceId: flags.serviceId,
    pccsUrl: flags.pccsUrl,
  });
  const policy = flags.merge
    ? mergePolicies(AttestationPolicy.parse(JSON.parse(await readFile(flags.merge, 'utf8'))), m.policy)
    : m.policy;
  await mkdir(flags.out, { recursive: true });
  await writeFile(join(flags.out, 'docker-compose.yaml'), compose);
  await writeFile(join(flags.out, 'policy.json'), `${JSON.stringify(policy, null, 2)}\n`);
  out({
    compose: join(flags.out, 'docker-compose.yaml'),
    policy: join(flags.out, 'policy.json'),
    compose_sha256: m.composeSha256,
    platforms: m.rtmr3,
  });
}

/** A worker's policy: its compose (pinned), the registry rows its quote's MRTD/RTMR0-2 match, and the RTMR3 they replay to. */
export async function measureWorkerCommand(flags: {
  url: string;
  registry: string;
  ca?: string;
  tcb: string[];
  out: string;
}): Promise<void> {
  const origin = new URL(flags.url).origin;
  const ca = flags.ca ? await readFile(flags.ca, 'utf8') : undefined;
  const get = async (path: string) => {
    const res = await httpRequest(`${origin}${path}`, {
      method: 'GET',
      signal: AbortSignal.timeout(30_000),
      tls: { ca },
    });
    if (res.status !== 200) throw new Error(`${origin}${path} answered HTTP ${res.status}`);
    return res.text(4 * 1024 * 1024);
  };
  const compose = await get('/docker-compose');
  const td = parseTdQuote(hexToBytes((await get('/cpu')).trim().toLowerCase()));
  const candidates = matchRegistry(parseTdxRegistry(await readFile(flags.registry, 'utf8')), td, compose);
  const m = measure(compose, {
    platforms: candidates,
    scheme: 'attest-tool',
    tcbStatus: flags.tcb as Exclude<TcbStatus, 'Revoked'>[],
    requirePinned: false,
  });
  await writeFile(flags.out, `${JSON.stringify(m.policy, null, 2)}\n`);
  out({ policy: flags.out, compose_sha256: m.composeSha256, platforms: m.rtmr3, rtmr3_in_quote: td.rtmr3 });
}
