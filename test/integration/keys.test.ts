/**
 * Operator-proof keys: born in the enclave, kept only in the data directory,
 * never decided by anything the deployer supplies; requests sealed to epoch
 * keys that no restart and no stored key can bring back.
 */
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ENVELOPE_MEDIA_TYPE } from '../../schemas/api.js';
import { ROUTES } from '../../schemas/routes.js';
import { signPermit } from '../../src/client/credentials.js';
import { MasterKey } from '../../src/crypto/at-rest.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/crypto/bytes.js';
import { serviceIdOf } from '../../src/crypto/statement.js';
import { tempDir } from '../helpers/index.js';
import { sealRaw } from '../helpers/raw.js';
import { startTestService, testUser, textUpload } from '../helpers/service.js';
import { chunkCount, wrappedKeys } from '../helpers/state.js';

const post = async (url: string, path: string, body: Uint8Array) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': ENVELOPE_MEDIA_TYPE },
    body: body as Uint8Array<ArrayBuffer>,
  });
  return {
    status: res.status,
    code: res.ok ? undefined : ((await res.json()) as { error: { code: string } }).error.code,
  };
};

describe('keys born in the enclave', () => {
  test('first start makes them in the data directory (0600); restarts find them; a second deployment differs', async () => {
    const [one, two] = [tempDir(), tempDir()];
    try {
      let svc = await startTestService(one.path);
      const user = await testUser(svc.url);
      await user.client.upload(user.permit, textUpload('keep.txt', 'The spare key is under the third flowerpot.'));
      const { statement } = user.client.service;
      expect(statement.key_origin).toBe('enclave');
      expect(statement.service_id).toBe(serviceIdOf(hexToBytes(statement.ed25519)));
      for (const file of ['master.key', 'service.key']) expect(statSync(join(one.path, file)).mode & 0o777).toBe(0o600);
      await svc.close();

      svc = await startTestService(one.path);
      try {
        const again = await testUser(svc.url);
        expect(again.client.serviceId).toBe(statement.service_id);
        const permit = await signPermit(user.wallet, {
          chainId: 'secret-4',
          serviceId: statement.service_id,
          device: 'test',
        });
        const { hits } = await again.client.call(ROUTES.search, permit, { query: 'where is the spare key', k: 1 });
        expect(hits[0]?.text).toContain('third flowerpot');
      } finally {
        await svc.close();
      }
      // The same image and configuration elsewhere: other keys, another id.
      const other = await startTestService(two.path);
      try {
        expect(other.service.statement.service_id).not.toBe(statement.service_id);
      } finally {
        await other.close();
      }
    } finally {
      one.cleanup();
      two.cleanup();
    }
  });

  test('key files put in the data directory before the first start are never trusted', async () => {
    const dir = tempDir();
    try {
      const planted = { master: randomBytes(32).toString('hex'), service: randomBytes(32).toString('hex') };
      writeFileSync(join(dir.path, 'master.key'), planted.master, { mode: 0o600 });
      writeFileSync(join(dir.path, 'service.key'), planted.service, { mode: 0o600 });
      const svc = await startTestService(dir.path);
      try {
        const user = await testUser(svc.url);
        await user.client.upload(user.permit, textUpload('x.txt', 'Diagnosis: none of the operator’s business.'));
        expect(readFileSync(join(dir.path, 'master.key'), 'utf8')).not.toContain(planted.master);
        expect(readFileSync(join(dir.path, 'service.key'), 'utf8')).not.toContain(planted.service);
        expect(user.client.service.statement.ed25519).not.toBe(
          bytesToHex(ed25519.getPublicKey(hexToBytes(planted.service))),
        );
        for (const k of wrappedKeys(svc.service.engine))
          expect(() => new MasterKey(hexToBytes(planted.master)).unwrap(k.wrappedKey, k.owner)).toThrow(/data key/);
      } finally {
        await svc.close();
      }
      // Swapped in later, a service key that is not the one this directory made stops the start.
      writeFileSync(join(dir.path, 'service.key'), planted.service);
      await expect(startTestService(dir.path)).rejects.toMatchObject({ code: 'master_key_mismatch' });
    } finally {
      dir.cleanup();
    }
  });

  test('a missing key for existing data, or a wrong escrow key, is a clear error at start and destroys nothing', async () => {
    const dir = tempDir();
    try {
      const svc = await startTestService(dir.path);
      const user = await testUser(svc.url);
      await user.client.upload(user.permit, textUpload('keep.txt', 'Locker code 4821.'));
      const chunks = chunkCount(svc.service.engine);
      await svc.close();
      const wrong = join(dir.path, '..', `wrong-${randomBytes(4).toString('hex')}.key`);
      writeFileSync(wrong, randomBytes(32).toString('hex'));
      await expect(startTestService(dir.path, { masterKeyFile: wrong, keyEscrow: 'operator' })).rejects.toMatchObject({
        code: 'master_key_mismatch',
      });
      await expect(startTestService(dir.path, { keyEscrow: 'operator' })).rejects.toMatchObject({
        code: 'master_key_missing',
      });
      renameSync(join(dir.path, 'master.key'), `${wrong}.moved`);
      await expect(startTestService(dir.path)).rejects.toMatchObject({ code: 'master_key_missing' });
      expect(existsSync(join(dir.path, 'master.key'))).toBe(false); // no fresh key over existing data
      renameSync(`${wrong}.moved`, join(dir.path, 'master.key'));
      const back = await startTestService(dir.path);
      expect(chunkCount(back.service.engine)).toBe(chunks);
      await back.close();
    } finally {
      dir.cleanup();
    }
  });

  test('an operator-key deployment migrates: data moves to an enclave key and the operator key opens nothing', async () => {
    const dir = tempDir();
    try {
      const operatorHex = randomBytes(32).toString('hex');
      const operatorKey = join(dir.path, '..', `operator-${randomBytes(4).toString('hex')}.key`);
      writeFileSync(operatorKey, operatorHex);
      let svc = await startTestService(dir.path, { masterKeyFile: operatorKey, keyEscrow: 'operator' });
      const user = await testUser(svc.url);
      expect(user.client.service.statement.key_origin).toBe('operator-escrow');
      await user.client.upload(user.permit, textUpload('bank.txt', 'Account 55-1234, overdraft limit 500.'));
      const owner = svc.service.ownerId(user.address);
      await svc.close();

      // Same deployment, escrow off, the old key still supplied: moved to a key born here.
      svc = await startTestService(dir.path, { masterKeyFile: operatorKey });
      try {
        const again = await testUser(svc.url);
        // The master key is born here now, but the owners' data keys were wrapped under the operator's key once:
        // the statement says so, and a client refuses it unless its policy allows that origin.
        expect(again.client.service.statement.key_origin).toBe('operator-migrated');
        expect(svc.service.ownerId(user.address)).toBe(owner); // owner ids kept
        const permit = await signPermit(user.wallet, {
          chainId: 'secret-4',
          serviceId: again.client.serviceId,
          device: 'test',
        });
        const { hits } = await again.client.call(ROUTES.search, permit, { query: 'overdraft limit', k: 1 });
        expect(hits[0]?.text).toContain('55-1234');
        const keys = wrappedKeys(svc.service.engine);
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys)
          expect(() => new MasterKey(hexToBytes(operatorHex)).unwrap(k.wrappedKey, k.owner)).toThrow(/data key/);
        expect(svc.logs.join('')).toContain('opens nothing now');
      } finally {
        await svc.close();
      }
      await expect(
        startTestService(dir.path, { masterKeyFile: operatorKey, keyEscrow: 'operator' }),
      ).rejects.toMatchObject({ code: 'master_key_mismatch' });
    } finally {
      dir.cleanup();
    }
  });
});

describe('forward secrecy and replay across restarts', () => {
  test('a request recorded before a restart opens nothing after it: no stored key can read or replay it', async () => {
    const dir = tempDir();
    try {
      let svc = await startTestService(dir.path);
      const user = await testUser(svc.url);
      const recorded = await sealRaw(user.client.service.x25519, user.permit, {
        type: ROUTES.upload.type,
        name: 'replayed.txt',
        payload: utf8ToBytes('uploaded once, replayed by the host after a restart'),
      });
      expect((await post(svc.url, ROUTES.upload.path, recorded)).status).toBe(200);
      expect(await post(svc.url, ROUTES.upload.path, recorded)).toEqual({ status: 409, code: 'request_replayed' });
      const chunks = chunkCount(svc.service.engine);
      await svc.close();

      svc = await startTestService(dir.path);
      try {
        // The service holds every key it keeps on disk, yet the request was sealed to an epoch key that is gone.
        expect(await post(svc.url, ROUTES.upload.path, recorded)).toEqual({
          status: 400,
          code: 'envelope_wrong_recipient',
        });
        expect(chunkCount(svc.service.engine)).toBe(chunks);
      } finally {
        await svc.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
