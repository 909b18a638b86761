/** Starts PRAG's service in-process on a loopback port, with its log lines captured. */
import { Writable } from 'node:stream';
import { Wallet, type WalletType } from '../../src/auth/secretjs.js';
import type { Credentials } from '../../src/client/credentials.js';
import { signPermit } from '../../src/client/credentials.js';
import { PragClient } from '../../src/client/session.js';
import { loadConfig } from '../../src/config.js';
import { loadServiceConfig, type ServiceConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/log.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { StartupOverrides } from '../../src/server/startup.js';

export interface TestService extends RunningServer {
  logs: string[];
}

export async function startTestService(
  dataDir: string,
  overrides: Partial<ServiceConfig> = {},
  env: NodeJS.ProcessEnv = {},
  parts: StartupOverrides = {},
): Promise<TestService> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = { ...loadServiceConfig({ PRAG_PORT: '0', ...env }), ...overrides };
  const server = await startServer(dataDir, config, loadConfig(), createLogger(sink), parts);
  return Object.assign(server, { logs });
}

export interface TestUser {
  wallet: WalletType;
  address: string;
  /** The signed permit and its session key. */
  permit: Credentials;
  client: PragClient;
}

/** A new wallet, connected (dev evidence accepted) with a permit for the service. */
export async function testUser(url: string, device = 'test', fetchImpl?: typeof fetch): Promise<TestUser> {
  const wallet = new Wallet();
  const client = await PragClient.connect(url, { allowInsecureDev: true, fetch: fetchImpl });
  const permit = await signPermit(wallet, { chainId: 'secret-4', serviceId: client.serviceId, device });
  return { wallet, address: wallet.address, permit, client };
}

export const textUpload = (name: string, text: string, collection?: string) => {
  const bytes = new TextEncoder().encode(text);
  return { name, size: bytes.length, bytes, collection };
};
