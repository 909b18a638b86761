/**
 * `prag proxy` and `prag mcp`: PRAG behind the interfaces other tools speak,
 * on the user's machine. Both verify the service exactly as every client
 * command does (client-commands.ts `connect`) and sign the user's permit.
 */
import { Prag } from '../client/index.js';
import { serveMcp } from '../integrations/mcp-server.js';
import { startProxy } from '../integrations/openai-proxy.js';
import { connect, wallet, type IdentityFlags } from './client-commands.js';
import { identitySettings } from './profile.js';

/** Opens a verified connection (again after a failure) with the identity's wallet. */
async function opener(flags: IdentityFlags): Promise<() => Promise<Prag>> {
  const settings = identitySettings(flags);
  const signer = await wallet(settings.identity);
  return async () =>
    Prag.over(await connect({ ...flags, url: settings.url }), {
      signer,
      chainId: settings.chainId,
      device: settings.device,
    });
}

export async function proxyCommand(
  flags: IdentityFlags & { port: number; token?: string; collection?: string[] },
): Promise<void> {
  const proxy = await startProxy({
    open: await opener(flags),
    port: flags.port,
    token: flags.token ?? process.env.PRAG_PROXY_TOKEN,
    collections: flags.collection,
  });
  process.stderr.write(
    proxy.failure
      ? `prag proxy: the service could not be verified; every request is refused until it is: ${proxy.failure.message}\n`
      : `prag proxy: ${identitySettings(flags).url} verified\n`,
  );
  process.stdout.write(`OpenAI-compatible API on ${proxy.url}/v1\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void proxy.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function mcpCommand(flags: IdentityFlags): Promise<void> {
  await serveMcp(await opener(flags));
}
