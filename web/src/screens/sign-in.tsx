/**
 * Sign in: a Secret wallet (Keplr or Leap) signs one SNIP-24 permit for the
 * attested service, or a local identity kept in this browser does. Connecting
 * verifies the attestation again, with the same policy, before the permit is
 * signed for the service id it proves.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  availableWallets,
  connect,
  walletSigner,
  type AminoSigner,
  type Prag,
  type WalletKind,
} from '../../../src/client/index.js';
import { ErrorNote, useAction } from '../ui.js';
import type { Verified } from './connect.js';
import { LocalIdentityPanel } from './local-identity.js';

const WALLET_NAMES: Record<WalletKind, string> = { keplr: 'Keplr', leap: 'Leap' };

export function SignInScreen({ verified, onSignedIn }: { verified: Verified; onSignedIn: (prag: Prag) => void }) {
  const action = useAction();
  const [wallets, setWallets] = useState<WalletKind[]>([]);
  // Extensions inject their objects as the page loads: look again once it has.
  useEffect(() => {
    const look = () => setWallets(availableWallets());
    look();
    window.addEventListener('load', look);
    return () => window.removeEventListener('load', look);
  }, []);

  const signIn = (signer: () => Promise<AminoSigner>) =>
    action.run(async () => {
      const { url, policy, allowInsecureDev } = verified;
      onSignedIn(await connect(url, { signer: await signer(), policy, allowInsecureDev, device: 'web' }));
    });

  return (
    <div class="layout sign-in">
      <section class="panel" aria-labelledby="wallet-title">
        <h2 id="wallet-title">Sign in with a Secret wallet</h2>
        <p class="hint">
          Your wallet signs one permit for this service ({verified.details.serviceId}); the page signs each request with
          a session key that never leaves it.
        </p>
        <div class="row">
          {(['keplr', 'leap'] as const).map((kind) => (
            <button
              key={kind}
              type="button"
              disabled={action.busy || !wallets.includes(kind)}
              onClick={() => signIn(() => walletSigner(kind, 'secret-4'))}
            >
              {WALLET_NAMES[kind]}
            </button>
          ))}
        </div>
        {wallets.length === 0 && (
          <p class="hint">No Keplr or Leap extension in this browser: use a local identity below.</p>
        )}
        <ErrorNote error={action.error} />
      </section>
      <LocalIdentityPanel
        busy={action.busy}
        servedBy={verified.servedBy}
        onUse={(signer) => signIn(async () => signer)}
      />
    </div>
  );
}
