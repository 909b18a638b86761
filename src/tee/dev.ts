/** `dev`: no hardware. The evidence says so, and clients refuse it unless told to accept insecure evidence. */
import type { TeeProvider } from './provider.js';

export const DEV_WARNING =
  'INSECURE: dev TEE provider — no hardware attestation; the operator of this machine can read everything';

export function devProvider(): TeeProvider {
  return {
    name: 'dev',
    secure: false,
    async bind() {},
    async evidence() {
      return { provider: 'dev', insecure: true, warning: DEV_WARNING };
    },
  };
}
