/** Master key rotation: every data key re-wrapped; users, grants and conversations intact; the old key refused. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { Wallet } from '../src/auth/secretjs.js';
import { signPermit } from '../src/client/identity.js';
import { PragClient } from '../src/client/session.js';
import { MasterKey } from '../src/crypto/at-rest.js';
import { hexToBytes } from '../src/crypto/bytes.js';
import { tempDir } from './helpers/index.js';
import { startTestService, textUpload } from './helpers/service.js';

const run = promisify(execFile);
const PRAG = new URL('../bin/prag.js', import.meta.url).pathname;
const dir = tempDir();
afterAll(() => dir.cleanup());

test('rotate-master-key re-wraps every data key; owners, shares and conversations survive; the old key is refused', async () => {
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
      permit: await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, name: 'prag-test' }),
    };
  };

  let svc = await startTestService(data, { masterKeyFile: keyA });
  const me = await session(svc.url, owner);
  await me.client.upload(
    me.permit,
    textUpload('vaccines.txt', 'Tetanus booster given in 2021; next due 2031.', 'health'),
  );
  await me.client.grant(me.permit, { with: friend.address, collection: 'health' });
  const { frames } = await me.client.chat(me.permit, {
    messages: [{ role: 'user', content: 'When is my next tetanus booster?' }],
    conversation: { store: true },
  });
  let conversation = '';
  for await (const f of frames) if (f.type === 'final') conversation = f.conversation_id!;
  const ownerId = svc.service.ownerId(owner.address);
  const wrappedBefore = svc.service.engine.meta.wrappedKeys();
  const serviceIdBefore = svc.service.statement.service_id;
  await svc.close();

  const { stdout } = await run(
    process.execPath,
    [PRAG, 'rotate-master-key', '--data-dir', data, '--new-key-file', keyB],
    { env: { ...process.env, PRAG_MASTER_KEY_FILE: keyA } },
  );
  expect(stdout).toContain(`rotated: ${wrappedBefore.length} owner data keys re-wrapped`);

  await expect(startTestService(data, { masterKeyFile: keyA })).rejects.toMatchObject({ code: 'master_key_mismatch' });
  svc = await startTestService(data, { masterKeyFile: keyB });
  try {
    expect(svc.service.ownerId(owner.address)).toBe(ownerId); // owner ids kept
    expect(svc.service.statement.service_id).not.toBe(serviceIdBefore); // derived service keys follow the master key
    const after = svc.service.engine.meta.wrappedKeys();
    expect(after.map((k) => k.owner).sort()).toEqual(wrappedBefore.map((k) => k.owner).sort());
    for (const k of after) {
      expect(wrappedBefore.find((w) => w.owner === k.owner)!.wrappedKey).not.toBe(k.wrappedKey);
      expect(() => new MasterKey(hexToBytes(a)).unwrap(k.wrappedKey, k.owner)).toThrow(/data key/);
    }
    const again = await session(svc.url, owner);
    const hits = await again.client.search(again.permit, { query: 'tetanus booster' });
    expect(hits.hits[0]?.text).toContain('next due 2031');
    expect((await again.client.conversation(again.permit, conversation)).messages).toHaveLength(2);
    const other = await session(svc.url, friend);
    expect((await other.client.search(other.permit, { query: 'tetanus booster' })).hits[0]?.owner).toBe(owner.address);
  } finally {
    await svc.close();
  }
}, 120_000);
