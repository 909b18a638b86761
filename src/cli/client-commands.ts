/**
 * Client commands. Every command that sends anything first verifies the
 * service's attestation (AttestationError names the failed check), then signs
 * a permit for the attested service id and seals the request to the attested key.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { AttestationPolicy } from '../../schemas/attestation.js';
import { ROUTES, type JsonRoute } from '../../schemas/routes.js';
import { collateralSource, DEFAULT_PCCS_URL } from '../attest/collateral.js';
import { AttestationError } from '../attest/errors.js';
import { signPermit, type Credentials } from '../client/credentials.js';
import { loadIdentity } from '../client/identity.js';
import { IdentityError } from '../client/identity-file.js';
import { streamingFetch } from '../client/node-fetch.js';
import { PragClient, ServiceError } from '../client/session.js';
import { bytesToHex } from '../crypto/bytes.js';
import { expiryInstant, sinceInstant } from './dates.js';
import { fileProblem, issueText, unreachable, UsageError } from './errors.js';
import { passphraseFor } from './passphrase.js';
import {
  DEFAULT_DEVICE,
  identitySettings,
  serviceSettings,
  updateProfile,
  type IdentityFlags,
  type IdentitySettings,
  type ServiceFlags,
  type ServiceSettings,
} from './profile.js';
import { printHits } from './hits.js';
import { understoodLine } from './understood.js';

export type { IdentityFlags } from './profile.js';
export type ConnectFlags = ServiceFlags;

const cacheDir = () => process.env.PRAG_CACHE_DIR ?? join(homedir(), '.cache', 'prag');

async function readPolicy(file: string): Promise<AttestationPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`policy ${fileProblem(e) ?? `${file}: ${(e as Error).message}`}; deploy/measure writes one`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`policy ${file} is not JSON; deploy/measure writes one`);
  }
  const parsed = AttestationPolicy.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `policy ${file} is not a measurement policy (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  return parsed.data;
}

async function connectWith(settings: ServiceSettings): Promise<PragClient> {
  return (await connectWithPolicy(settings)).client;
}

async function connectWithPolicy(
  settings: ServiceSettings,
): Promise<{ client: PragClient; policy: AttestationPolicy | undefined }> {
  const policy = settings.policy ? await readPolicy(settings.policy) : undefined;
  const pccsUrl = settings.pccsUrl ?? policy?.pccs_url ?? process.env.PRAG_PCCS_URL ?? DEFAULT_PCCS_URL;
  let client: PragClient;
  try {
    client = await PragClient.connect(settings.url, {
      policy,
      allowInsecureDev: settings.allowInsecureDev,
      collateral: collateralSource({ pccsUrl, cacheDir: cacheDir() }),
      fetch: streamingFetch,
    });
  } catch (e) {
    const down = unreachable(settings.url, e);
    if (down) throw new Error(down, { cause: e });
    if (e instanceof ServiceError && e.code === 'http_error')
      throw new Error(`${settings.url} answered HTTP ${e.status} to the attestation request: is it a PRAG service?`, {
        cause: e,
      });
    if (e instanceof AttestationError && e.check === 'dev_evidence' && !settings.allowInsecureDev && !policy)
      throw new UsageError(
        `${settings.url}: ${e.message}; to accept it from then on: \`prag config set allow-insecure-dev true\``,
        { cause: e },
      );
    if (e instanceof AttestationError && e.check === 'response')
      throw new Error(`${settings.url} does not answer as a PRAG service (${e.message})`, { cause: e });
    throw e;
  }
  if (client.service.insecure)
    process.stderr.write(
      'WARNING: the service runs the insecure dev provider: nothing about it is attested, the host can read everything.\n',
    );
  return { client, policy };
}

/** A verified connection to the service named by the flags, the environment or the profile (in that order). */
export async function connect(flags: ConnectFlags): Promise<PragClient> {
  return connectWith(serviceSettings(flags));
}

/** `connect`, with the measurement policy it verified against (read and validated from `--policy`). */
export async function connectVerifying(
  flags: ConnectFlags,
): Promise<{ client: PragClient; policy: AttestationPolicy | undefined }> {
  return connectWithPolicy(serviceSettings(flags));
}

/** The identity's wallet; an encrypted file's passphrase is asked for (or read from PRAG_PASSPHRASE). */
export async function wallet(file: string) {
  try {
    return await loadIdentity(file, { passphrase: () => passphraseFor(file) });
  } catch (e) {
    if (e instanceof IdentityError) throw new UsageError(e.message);
    throw e;
  }
}

export interface Session {
  client: PragClient;
  permit: Credentials;
  address: string;
  settings: IdentitySettings;
}

export async function session(flags: IdentityFlags): Promise<Session> {
  const settings = identitySettings(flags);
  const signer = await wallet(settings.identity);
  const client = await connectWith(settings);
  const permit = await signPermit(signer, {
    chainId: settings.chainId,
    serviceId: client.serviceId,
    device: settings.device,
  });
  return { client, permit, address: signer.address, settings };
}

/** `body` checked against the route's request schema before anything is sent: a refusal costs no round trip. */
export function checked<R extends JsonRoute>(route: R, body: z.input<R['request']>): z.input<R['request']> {
  const parsed = route.request.safeParse(body);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map(issueText).join('; '));
  return body;
}

/**
 * Collections named on the command line must exist among the user's own or those shared with them (active
 * grants): a typo would otherwise search nothing and answer "No matches.".
 */
export async function requireCollections(s: Session, names: readonly string[] | undefined): Promise<void> {
  if (!names?.length) return;
  const [{ collections }, shares] = await Promise.all([
    s.client.call(ROUTES.collections, s.permit, {}),
    s.client.call(ROUTES.shares, s.permit, {}),
  ]);
  const own = collections.map((c) => c.name);
  const shared = shares.received.filter((g) => g.state === 'active' && g.collection).map((g) => g.collection ?? '');
  const unknown = names.filter((n) => !own.includes(n) && !shared.includes(n));
  if (unknown.length)
    throw new UsageError(
      `no collection ${unknown.map((n) => `"${n}"`).join(', ')}; yours: ${own.join(', ') || '(none)'}${shared.length ? `; shared with you: ${shared.join(', ')}` : ''}`,
    );
}

export const out = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

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
      ...(statement.web_sha256 ? [`  web client bundle sha256 ${statement.web_sha256}`] : []),
    ].join('\n') + '\n',
  );
}

export async function searchCommand(
  query: string,
  opts: IdentityFlags & { k: number; json?: boolean; collection?: string[]; literal?: boolean },
): Promise<void> {
  const body = checked(ROUTES.search, {
    query,
    k: opts.k,
    filters: opts.collection ? { collections: opts.collection } : {},
    understand: !opts.literal,
  });
  const s = await session(opts);
  await requireCollections(s, opts.collection);
  const { hits, understood } = await s.client.call(ROUTES.search, s.permit, body);
  (opts.json ? process.stderr : process.stdout).write(understoodLine(understood));
  printHits(hits, opts.json);
}

export async function docsCommand(opts: IdentityFlags & { json?: boolean; collection?: string }): Promise<void> {
  const body = checked(ROUTES.list, { collection: opts.collection });
  const s = await session(opts);
  await requireCollections(s, opts.collection === undefined ? undefined : [opts.collection]);
  const { documents } = await s.client.call(ROUTES.list, s.permit, body);
  if (opts.json) return out(documents);
  if (!documents.length) process.stdout.write('No documents.\n');
  for (const d of documents)
    process.stdout.write(
      `${d.doc_id}  ${d.collection}  ${d.format}  ${d.title}${d.parent_id ? '  (attachment)' : ''}\n`,
    );
}

export async function deleteCommand(docId: string, opts: IdentityFlags & { json?: boolean }): Promise<void> {
  const body = checked(ROUTES.delete, { doc_id: docId });
  const { client, permit } = await session(opts);
  const reply = await client.call(ROUTES.delete, permit, body);
  if (opts.json) out(reply);
  else
    process.stdout.write(`deleted ${reply.deleted} document${reply.deleted === 1 ? '' : 's'} (attachments included)\n`);
}

export async function revokePermitCommand(opts: IdentityFlags & { name?: string; device?: string }): Promise<void> {
  if ((opts.name === undefined) === (opts.device === undefined))
    throw new UsageError('give exactly one of --name PERMIT or --device LABEL');
  const what = checked(
    ROUTES.revokePermit,
    opts.device === undefined ? { permit_name: opts.name ?? '' } : { device: opts.device },
  );
  const { client, permit, settings } = await session(opts);
  const reply = await client.call(ROUTES.revokePermit, permit, what);
  process.stdout.write(`revoked ${reply.revoked}: requests signed with it are refused from now on\n`);
  if (opts.device === settings.device) await switchDevice(settings);
}

/**
 * The device this command signs for was just revoked: later commands would all be refused. A device label from
 * the profile (or the default) is replaced by a fresh one, saved in the profile; a label given with --as is not.
 */
async function switchDevice(settings: IdentitySettings): Promise<void> {
  if (settings.deviceFromFlag) {
    process.stderr.write(
      `warning: you revoked the device "${settings.device}" this command signed for; commands with --as ${settings.device} are refused from now on, use another --as label\n`,
    );
    return;
  }
  const base = settings.device.replace(/-[0-9a-f]{6}$/, '') || DEFAULT_DEVICE;
  const next = `${base}-${bytesToHex(crypto.getRandomValues(new Uint8Array(3)))}`;
  await updateProfile(settings.profile, (p) => ({ ...p, device: next }));
  process.stderr.write(
    `warning: you revoked the device "${settings.device}" in use; later commands sign permits for the device "${next}" (saved in profile "${settings.profile}")\n`,
  );
}

export async function collectionsCommand(
  action: string,
  args: string[],
  opts: IdentityFlags & { json?: boolean; to?: string },
): Promise<void> {
  if (!['list', 'create', 'rename', 'move'].includes(action))
    throw new UsageError(`unknown action "${action}" (list, create, rename, move)`);
  const { client, permit } = await session(opts);
  const usage = (text: string) => new UsageError(`usage: prag collections ${text}`);
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
      throw new UsageError(`unknown action "${action}" (list, create, rename, move)`);
  }
}

export async function shareCommand(
  opts: IdentityFlags & { with: string; collection?: string; doc?: string[]; expires?: string },
): Promise<void> {
  // Computed once: the instant printed is the instant sent (a relative "30d" read twice would differ).
  const expiresAt = opts.expires === undefined ? undefined : await expiryInstant(opts.expires);
  const body = checked(ROUTES.shareGrant, {
    with: opts.with,
    collection: opts.collection,
    doc_ids: opts.doc,
    expires_at: expiresAt,
  });
  const { client, permit } = await session(opts);
  const reply = await client.call(ROUTES.shareGrant, permit, body);
  process.stdout.write(
    `shared ${opts.collection ? `collection "${opts.collection}"` : `${opts.doc?.length ?? 0} documents`} with ${opts.with}${expiresAt ? ` until ${expiresAt}` : ''} (grant ${reply.grant_id})\n`,
  );
}

export async function unshareCommand(opts: IdentityFlags & { with: string; collection?: string }): Promise<void> {
  const body = checked(ROUTES.shareRevoke, { with: opts.with, collection: opts.collection });
  const { client, permit } = await session(opts);
  const { revoked } = await client.call(ROUTES.shareRevoke, permit, body);
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
    throw new UsageError(`unknown action "${action}" (list, accept, decline)`);
  if (action !== 'list' && !grantId) throw new UsageError(`usage: prag shares ${action} GRANT_ID`);
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
  const body = checked(ROUTES.audit, {
    since: opts.since === undefined ? undefined : await sinceInstant(opts.since),
    limit: opts.limit,
  });
  const { client, permit } = await session(opts);
  const { entries } = await client.call(ROUTES.audit, permit, body);
  if (opts.json) return out(entries);
  for (const e of entries)
    process.stdout.write(
      `${e.at}  ${e.requester}  ${e.endpoint}  ${e.doc_ids.length} document${e.doc_ids.length === 1 ? '' : 's'}, ${e.chunk_ids.length} chunks  (permit ${e.permit_name})\n`,
    );
  if (!entries.length) process.stdout.write('No retrievals recorded.\n');
}

export async function forgetMeCommand(opts: IdentityFlags & { yes?: boolean }): Promise<void> {
  if (!opts.yes) {
    const settings = identitySettings(opts);
    const { address } = await wallet(settings.identity);
    throw new UsageError(
      `this deletes every document, collection, share and log entry of ${address} on ${settings.url} and destroys its data key; run again with --yes`,
    );
  }
  const { client, permit, address } = await session(opts);
  const reply = await client.call(ROUTES.forgetMe, permit, { confirm: address });
  process.stdout.write(`forgot ${reply.forgotten}: ${reply.documents} documents deleted, data key destroyed\n`);
}
