/**
 * Client commands. Every command that sends anything first verifies the
 * service's attestation (AttestationError names the failed check), then signs
 * a permit for the attested service id and seals the request to the attested key.
 */
import { SingleBar, Presets } from 'cli-progress';
import { ROUTES } from '../../schemas/routes.js';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { AttestationPolicy } from '../../schemas/attestation.js';
import type { Credentials } from '../client/credentials.js';
import { collateralSource, DEFAULT_PCCS_URL } from '../attest/collateral.js';
import { createIdentity, loadIdentity } from '../client/identity.js';
import { signPermit } from '../client/credentials.js';
import { streamingFetch } from '../client/node-fetch.js';
import { PragClient, ServiceError } from '../client/session.js';
import { bytesToHex } from '../crypto/bytes.js';
import { findFiles } from './files.js';
import { printHits } from './query-command.js';

export interface ConnectFlags {
  url: string;
  allowInsecureDev?: boolean;
  policy?: string;
  pccsUrl?: string;
}

export interface IdentityFlags extends ConnectFlags {
  identity: string;
  chainId: string;
  /** Device label of the permit this command signs. */
  as: string;
}

const cacheDir = () => process.env.PRAG_CACHE_DIR ?? join(homedir(), '.cache', 'prag');

export async function connect(flags: ConnectFlags): Promise<PragClient> {
  const policy = flags.policy ? AttestationPolicy.parse(JSON.parse(await readFile(flags.policy, 'utf8'))) : undefined;
  const pccsUrl = flags.pccsUrl ?? policy?.pccs_url ?? process.env.PRAG_PCCS_URL ?? DEFAULT_PCCS_URL;
  const client = await PragClient.connect(flags.url.replace(/\/+$/, ''), {
    policy,
    allowInsecureDev: flags.allowInsecureDev,
    collateral: collateralSource({ pccsUrl, cacheDir: cacheDir() }),
    fetch: streamingFetch,
  });
  if (client.service.insecure)
    process.stderr.write(
      'WARNING: the service runs the insecure dev provider: nothing about it is attested, the host can read everything.\n',
    );
  return client;
}

export async function session(
  flags: IdentityFlags,
): Promise<{ client: PragClient; permit: Credentials; address: string }> {
  const wallet = await loadIdentity(flags.identity);
  const client = await connect(flags);
  const permit = await signPermit(wallet, {
    chainId: flags.chainId,
    serviceId: client.serviceId,
    device: flags.as,
  });
  return { client, permit, address: wallet.address };
}

export const out = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

export async function keygenCommand(opts: { out: string }): Promise<void> {
  const address = await createIdentity(opts.out);
  process.stdout.write(`${address}\n`);
  process.stderr.write(`identity written to ${opts.out} (keep it private: it holds the wallet's mnemonic)\n`);
}

export async function attestCommand(opts: ConnectFlags & { json?: boolean }): Promise<void> {
  const client = await connect(opts);
  const { statement, insecure, tcb, measurement, composeSha256 } = client.service;
  if (opts.json) return out({ ok: true, insecure, statement, tcb, measurement, compose_sha256: composeSha256 });
  process.stdout.write(
    [
      `verified: ${statement.service_id} (${statement.provider}${insecure ? ', INSECURE' : ''})`,
      `  signing key ${statement.ed25519}, keys born: ${statement.key_origin === 'enclave' ? 'in the enclave' : 'OPERATOR ESCROW (the operator can read stored data)'}`,
      `  requests sealed to epoch key ${bytesToHex(client.service.x25519)} (offered until ${new Date(client.service.epochKeyNotAfter).toISOString()})`,
      ...(tcb ? [`  TCB ${tcb.status}${tcb.advisoryIds.length ? ` (${tcb.advisoryIds.join(', ')})` : ''}`] : []),
      ...(measurement ? [`  platform ${measurement.label ?? measurement.mrtd}`] : []),
      ...(composeSha256 ? [`  docker-compose sha256 ${composeSha256}`] : []),
    ].join('\n') + '\n',
  );
}

export async function uploadCommand(
  paths: string[],
  opts: IdentityFlags & { collection?: string; json?: boolean },
): Promise<void> {
  const found = await findFiles(paths);
  const { client, permit } = await session(opts);
  const total = found.reduce((n, f) => n + f.size, 0);
  const bar =
    !opts.json && process.stderr.isTTY
      ? new SingleBar(
          { format: ' {bar} {percentage}% | {file} | {eta_formatted} left', stream: process.stderr, hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
  bar?.start(Math.max(1, total), 0, { file: '' });
  let sent = 0;
  const results = [];
  let failures = 0;
  try {
    for (const f of found) {
      bar?.update(sent, { file: basename(f.path) });
      async function* bytes() {
        for await (const chunk of createReadStream(f.path, { highWaterMark: 256 * 1024 })) {
          sent += (chunk as Buffer).length;
          bar?.update(sent);
          yield chunk as Buffer;
        }
      }
      try {
        // Queued, then followed: a large archive may take longer to ingest than an HTTP request should stay open.
        const queued = await client.enqueueUpload(permit, {
          name: basename(f.path),
          size: f.size,
          bytes: bytes(),
          collection: opts.collection,
        });
        const reply = await client.waitForUpload(permit, queued.upload_id);
        results.push({ path: f.path, ...reply });
        failures += reply.failed.length;
      } catch (e) {
        if (e instanceof ServiceError && e.status === 401) throw e; // the permit is refused: every file would be
        results.push({ path: f.path, error: (e as Error).message });
        failures++;
      }
    }
  } finally {
    bar?.stop();
  }
  if (opts.json) out(results);
  else
    for (const r of results) {
      if ('error' in r) process.stdout.write(`${r.path}: failed: ${r.error}\n`);
      else
        process.stdout.write(
          `${r.path}: ${r.doc_ids.length} documents, ${r.chunks} chunks${r.skipped ? `, ${r.skipped} already stored` : ''}${r.failed.length ? `, ${r.failed.length} failed` : ''}\n${r.failed.map((x) => `  failed: ${x.source}: ${x.error}\n`).join('')}`,
        );
    }
  if (failures) process.exitCode = 1;
}

export async function searchCommand(
  query: string,
  opts: IdentityFlags & { k: number; json?: boolean; collection?: string[] },
): Promise<void> {
  const { client, permit } = await session(opts);
  const { hits } = await client.call(ROUTES.search, permit, {
    query,
    k: opts.k,
    filters: opts.collection ? { collections: opts.collection } : {},
  });
  printHits(hits, opts.json);
}

export async function docsCommand(opts: IdentityFlags & { json?: boolean; collection?: string }): Promise<void> {
  const { client, permit } = await session(opts);
  const { documents } = await client.call(ROUTES.list, permit, { collection: opts.collection });
  if (opts.json) return out(documents);
  if (!documents.length) process.stdout.write('No documents.\n');
  for (const d of documents)
    process.stdout.write(
      `${d.doc_id}  ${d.collection}  ${d.format}  ${d.title}${d.parent_id ? '  (attachment)' : ''}\n`,
    );
}

export async function deleteCommand(docId: string, opts: IdentityFlags & { json?: boolean }): Promise<void> {
  const { client, permit } = await session(opts);
  const reply = await client.call(ROUTES.delete, permit, { doc_id: docId });
  if (opts.json) out(reply);
  else
    process.stdout.write(`deleted ${reply.deleted} document${reply.deleted === 1 ? '' : 's'} (attachments included)\n`);
}

export async function revokePermitCommand(opts: IdentityFlags & { name?: string; device?: string }): Promise<void> {
  if ((opts.name === undefined) === (opts.device === undefined))
    throw new Error('give exactly one of --name PERMIT or --device LABEL');
  const { client, permit } = await session(opts);
  const what = opts.device === undefined ? { permit_name: opts.name ?? '' } : { device: opts.device };
  const reply = await client.call(ROUTES.revokePermit, permit, what);
  process.stdout.write(`revoked ${reply.revoked}: requests signed with it are refused from now on\n`);
}

/** "30d", "12h", "45m" or an ISO date → an ISO instant. */
function expiryFrom(text: string, now = Date.now()): string {
  const m = /^(\d{1,5})([dhm])$/.exec(text.trim());
  if (m)
    return new Date(
      now + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'],
    ).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`--expires takes 30d, 12h, 45m or a date, not "${text}"`);
  return new Date(t).toISOString();
}

export async function collectionsCommand(
  action: string,
  args: string[],
  opts: IdentityFlags & { json?: boolean; to?: string },
): Promise<void> {
  const { client, permit } = await session(opts);
  const usage = (text: string) => new Error(`usage: prag collections ${text}`);
  switch (action) {
    case 'list': {
      const { collections } = await client.call(ROUTES.collections, permit, {});
      if (opts.json) return out(collections);
      for (const c of collections)
        process.stdout.write(`${c.name}  ${c.documents} document${c.documents === 1 ? '' : 's'}\n`);
      return;
    }
    case 'create': {
      const [name] = args;
      if (args.length !== 1 || name === undefined) throw usage('create NAME');
      return out(await client.call(ROUTES.collectionCreate, permit, { name }));
    }
    case 'rename': {
      const [from, to] = args;
      if (args.length !== 2 || from === undefined || to === undefined) throw usage('rename FROM TO');
      return out(await client.call(ROUTES.collectionRename, permit, { from, to }));
    }
    case 'move':
      if (!opts.to || !args.length) throw usage('move --to NAME DOC_ID...');
      return out(await client.call(ROUTES.collectionMove, permit, { doc_ids: args, to: opts.to }));
    default:
      throw new Error(`unknown action "${action}" (list, create, rename, move)`);
  }
}

export async function shareCommand(
  opts: IdentityFlags & { with: string; collection?: string; doc?: string[]; expires?: string },
): Promise<void> {
  const { client, permit } = await session(opts);
  // Computed once: the instant printed is the instant sent (a relative "30d" read twice would differ).
  const expiresAt = opts.expires === undefined ? undefined : expiryFrom(opts.expires);
  const reply = await client.call(ROUTES.shareGrant, permit, {
    with: opts.with,
    collection: opts.collection,
    doc_ids: opts.doc,
    expires_at: expiresAt,
  });
  process.stdout.write(
    `shared ${opts.collection ? `collection "${opts.collection}"` : `${opts.doc?.length ?? 0} documents`} with ${opts.with}${expiresAt ? ` until ${expiresAt}` : ''} (grant ${reply.grant_id})\n`,
  );
}

export async function unshareCommand(opts: IdentityFlags & { with: string; collection?: string }): Promise<void> {
  const { client, permit } = await session(opts);
  const { revoked } = await client.call(ROUTES.shareRevoke, permit, { with: opts.with, collection: opts.collection });
  process.stdout.write(
    `revoked ${revoked} grant${revoked === 1 ? '' : 's'} to ${opts.with}; in force from the next request\n`,
  );
}

/** `prag shares` lists grants; `prag shares accept|decline GRANT_ID` answers one received (decline also leaves an accepted one). */
export async function sharesCommand(
  action: string,
  grantId: string | undefined,
  opts: IdentityFlags & { json?: boolean },
): Promise<void> {
  if (action !== 'list' && action !== 'accept' && action !== 'decline')
    throw new Error(`unknown action "${action}" (list, accept, decline)`);
  if (action !== 'list' && !grantId) throw new Error(`usage: prag shares ${action} GRANT_ID`);
  const { client, permit } = await session(opts);
  if (grantId !== undefined && action !== 'list') {
    const route = action === 'accept' ? ROUTES.shareAccept : ROUTES.shareDecline;
    const reply = await client.call(route, permit, { grant_id: grantId });
    if (opts.json) return out(reply);
    process.stdout.write(`grant ${reply.grant_id}: ${reply.state}; in force from the next request\n`);
    return;
  }
  const shares = await client.call(ROUTES.shares, permit, {});
  if (opts.json) return out(shares);
  const line = (g: (typeof shares.given)[number], dir: string) =>
    `${dir} ${g.with}  ${g.collection ?? `${g.doc_ids?.length ?? 0} documents`}  ${g.expires_at ? `until ${g.expires_at}` : 'no expiry'}  ${g.state}  (grant ${g.grant_id})\n`;
  for (const g of shares.given) process.stdout.write(line(g, 'to  '));
  for (const g of shares.received) process.stdout.write(line(g, 'from'));
  if (!shares.given.length && !shares.received.length) process.stdout.write('No shares.\n');
}

export async function auditCommand(
  opts: IdentityFlags & { json?: boolean; since?: string; limit?: number },
): Promise<void> {
  const { client, permit } = await session(opts);
  const { entries } = await client.call(ROUTES.audit, permit, {
    since: opts.since === undefined ? undefined : new Date(Date.parse(opts.since)).toISOString(),
    limit: opts.limit,
  });
  if (opts.json) return out(entries);
  for (const e of entries)
    process.stdout.write(
      `${e.at}  ${e.requester}  ${e.endpoint}  ${e.doc_ids.length} document${e.doc_ids.length === 1 ? '' : 's'}, ${e.chunk_ids.length} chunks  (permit ${e.permit_name})\n`,
    );
  if (!entries.length) process.stdout.write('No retrievals recorded.\n');
}

export async function forgetMeCommand(opts: IdentityFlags & { yes?: boolean }): Promise<void> {
  const wallet = await loadIdentity(opts.identity);
  if (!opts.yes) {
    throw new Error(
      `this deletes every document, collection, share and log entry of ${wallet.address} on ${opts.url} and destroys its data key; run again with --yes`,
    );
  }
  const { client, permit } = await session(opts);
  const reply = await client.call(ROUTES.forgetMe, permit, { confirm: wallet.address });
  process.stdout.write(`forgot ${reply.forgotten}: ${reply.documents} documents deleted, data key destroyed\n`);
}
