/** Master key rotation: every data key re-wrapped; users, grants and conversations intact; the old key opens nothing. */
import { randomBytes } from 'node:crypto';
import { ROUTES } from '../../schemas/routes.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Wallet } from '../../src/auth/secretjs.js';
import { signPermit } from '../../src/client/credentials.js';
import { PragClient } from '../../src/client/session.js';
import { MasterKey } from '../../src/crypto/at-rest.js';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/index.js';
import { must } from '../helpers/must.js';
import { startTestService, textUpload } from '../helpers/service.js';
import { wrappedKeys } from '../helpers/state.js';

const dir = tempDir();
afterAll(() => dir.cleanup());

test('rotate-master-key: escrow to escrow, then to a key born in the enclave; owners, shares and conversations survive; old keys open nothing', async () => {
  const [a, b] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
  const keyA = join(dir.path, 'a.key');
  const keyB = join(dir.path, 'b.key');
  writeFileSync(keyA, a);
  writeFileSync(keyB, b);
  const data = join(dir.path, 'data');
  const owner = new Wallet();
  const friend = new Wallet();
  const session = async (url: string, wallet: InstanceType<typeof Wallet>) => {
    const client = await PragClient.connect(url, { allowInsecureDev: true });
    return {
      client,
      permit: await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device: 'test' }),
    };
  };

  const escrow = { keyEscrow: 'operator' as const };
  let svc = await startTestService(data, { masterKeyFile: keyA, ...escrow });
  const me = await session(svc.url, owner);
  await me.client.upload(
    me.permit,
    textUpload('vaccines.txt', 'Tetanus booster given in 2021; next due 2031.', 'health'),
  );
  const { grant_id } = await me.client.call(ROUTES.shareGrant, me.permit, {
    with: friend.address,
    collection: 'health',
  });
  const them = await session(svc.url, friend);
  await them.client.call(ROUTES.shareAccept, them.permit, { grant_id });
  const { frames } = await me.client.chat(me.permit, {
    messages: [{ role: 'user', content: 'When is my next tetanus booster?' }],
    conversation: { store: true },
  });
  let conversation = '';
  for await (const f of frames)
    if (f.type === 'final') conversation = must(f.conversation_id, 'the stored conversation id');
  const ownerId = svc.service.ownerId(owner.address);
  const wrappedBefore = wrappedKeys(svc.service.engine);
  const serviceIdBefore = svc.service.statement.service_id;
  await svc.close();

  const { stdout } = await runCli(['rotate-master-key', '--data-dir', data, '--new-key-file', keyB], {
    env: { PRAG_MASTER_KEY_FILE: keyA, PRAG_KEY_ESCROW: 'operator' },
  });
  expect(stdout).toContain(`rotated: ${wrappedBefore.length} owner data keys re-wrapped`);
  await expect(startTestService(data, { masterKeyFile: keyA, ...escrow })).rejects.toMatchObject({
    code: 'master_key_mismatch',
  });
  // Off escrow: the operator's key B becomes a key born here; B opens nothing afterwards.
  const { stdout: moved } = await runCli(['rotate-master-key', '--data-dir', data, '--to-enclave'], {
    env: { PRAG_MASTER_KEY_FILE: keyB, PRAG_KEY_ESCROW: 'operator' },
  });
  expect(moved).toContain('born here');
  await expect(startTestService(data, { masterKeyFile: keyB, ...escrow })).rejects.toMatchObject({
    code: 'master_key_mismatch',
  });
  svc = await startTestService(data);
  try {
    expect(svc.service.statement.key_origin).toBe('operator-migrated'); // its data keys were once under an operator key
    expect(svc.service.ownerId(owner.address)).toBe(ownerId); // owner ids kept
    expect(svc.service.statement.service_id).toBe(serviceIdBefore); // the signing key is not the master key
    const after = wrappedKeys(svc.service.engine);
    expect(after.map((k) => k.owner).sort()).toEqual(wrappedBefore.map((k) => k.owner).sort());
    for (const k of after) {
      expect(
        must(
          wrappedBefore.find((w) => w.owner === k.owner),
          `${k.owner}'s key before`,
        ).wrappedKey,
      ).not.toBe(k.wrappedKey);
      for (const old of [a, b])
        expect(() => new MasterKey(hexToBytes(old)).unwrap(k.wrappedKey, k.owner)).toThrow(/data key/);
    }
    const again = await session(svc.url, owner);
    const hits = await again.client.call(ROUTES.search, again.permit, { query: 'tetanus booster' });
    expect(hits.hits[0]?.text).toContain('next due 2031');
    expect((await again.client.call(ROUTES.conversationGet, again.permit, { id: conversation })).messages).toHaveLength(
      2,
    );
    const other = await session(svc.url, friend);
    expect((await other.client.call(ROUTES.search, other.permit, { query: 'tetanus booster' })).hits[0]?.owner).toBe(
      owner.address,
    );
  } finally {
    await svc.close();
  }
}, 120_000);
