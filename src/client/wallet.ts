/**
 * Signing in with a Secret wallet in the browser: Keplr (`window.keplr`) or
 * Leap (`window.leap`), which share Keplr's extension API. The wallet signs
 * the SNIP-24 permit sign doc (`signAmino`, the Secret ecosystem's convention
 * for query permits; src/client/credentials.ts builds it) once per session;
 * its key never reaches the page.
 */
import type { StdSignDoc } from '../auth/secretjs.js';
import { canonicalJson } from '../crypto/bytes.js';
import type { AminoSigner } from './credentials.js';

export type WalletKind = 'keplr' | 'leap';

type AminoSignature = Awaited<ReturnType<AminoSigner['signAmino']>> & { signed?: StdSignDoc };

/** The part of Keplr's (and Leap's) extension API used here. */
export interface KeplrLike {
  enable(chainId: string): Promise<void>;
  getOfflineSignerOnlyAmino(chainId: string): {
    getAccounts(): Promise<ReadonlyArray<{ address: string }>>;
    signAmino(signerAddress: string, signDoc: StdSignDoc): Promise<AminoSignature>;
  };
  /** Keplr's direct signing, which can be told not to touch fee and memo (a permit's must stay zero and empty). */
  signAmino?(
    chainId: string,
    signer: string,
    signDoc: StdSignDoc,
    options?: { preferNoSetFee?: boolean; preferNoSetMemo?: boolean; disableBalanceCheck?: boolean },
  ): Promise<AminoSignature>;
}

const extension = (kind: WalletKind): KeplrLike | undefined =>
  (globalThis as unknown as Partial<Record<WalletKind, KeplrLike>>)[kind];

/** The wallet extensions present in this page. */
export function availableWallets(): WalletKind[] {
  return (['keplr', 'leap'] as const).filter((k) => extension(k) !== undefined);
}

export class WalletError extends Error {
  override name = 'WalletError';
}

/**
 * A signer backed by the Keplr or Leap extension: asks it to enable the chain
 * (the user approves), reads the account, and signs permits with it. A wallet
 * that alters the sign doc (fee, memo) is refused: the permit would not verify.
 */
export async function walletSigner(kind: WalletKind, chainId = 'secret-4'): Promise<AminoSigner> {
  const wallet = extension(kind);
  if (!wallet) throw new WalletError(`${kind === 'keplr' ? 'Keplr' : 'Leap'} is not installed in this browser`);
  await wallet.enable(chainId);
  const offline = wallet.getOfflineSignerOnlyAmino(chainId);
  const [account] = await offline.getAccounts();
  if (!account?.address.startsWith('secret1'))
    throw new WalletError(`the ${kind} wallet has no Secret Network account for ${chainId}`);
  const address = account.address;
  return {
    address,
    async signAmino(signerAddress, signDoc) {
      const result = wallet.signAmino
        ? await wallet.signAmino(chainId, signerAddress, signDoc, {
            preferNoSetFee: true,
            preferNoSetMemo: true,
            disableBalanceCheck: true,
          })
        : await offline.signAmino(signerAddress, signDoc);
      if (result.signed && canonicalJson(result.signed) !== canonicalJson(signDoc))
        throw new WalletError(
          `the ${kind} wallet changed the permit before signing it (fee or memo); it would not verify`,
        );
      return { signature: result.signature };
    },
  };
}
