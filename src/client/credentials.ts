/**
 * What a client signs its requests with: a SNIP-24 permit from the user's
 * wallet that names a session key (schemas/permit.ts), and that session key.
 * The wallet signs once per device session; the session key signs every
 * request (src/crypto/request-signature.ts), so the permit is no bearer
 * token. Web-standard only: the browser client uses this file.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Permit } from '../../schemas/api.js';
import { formatPermitName, PRAG_PERMISSION } from '../../schemas/permit.js';
import type { StdSignDoc } from '../auth/secretjs.js';
import { bytesToHex } from '../crypto/bytes.js';
import type { EnvelopeAddress } from '../crypto/envelope.js';
import { signRequest } from '../crypto/request-signature.js';

export interface Credentials {
  permit: Permit;
  /** The session key's Ed25519 secret: it never leaves the client. */
  sessionKey: Uint8Array;
}

/** Anything that signs an amino sign doc for an address: secretjs' Wallet, Keplr's or Leap's offline signer. */
export interface AminoSigner {
  address: string;
  signAmino(
    signerAddress: string,
    signDoc: StdSignDoc,
  ): Promise<{ signature: { pub_key: { value: string }; signature: string } }>;
}

export const DEFAULT_PERMIT_LIFETIME_S = 24 * 3600;

/**
 * The SNIP-24 amino sign doc (SNIP-24.md, "query_permit"), as Keplr and
 * Leap sign it: chain id, zero account number and sequence, zero fee, one
 * `query_permit` message.
 */
function permitSignDoc(chainId: string, params: Permit['params']): StdSignDoc {
  return {
    chain_id: chainId,
    account_number: '0',
    sequence: '0',
    fee: { amount: [{ denom: 'uscrt', amount: '0' }], gas: '1' },
    msgs: [
      {
        type: 'query_permit',
        value: {
          permit_name: params.permit_name,
          allowed_tokens: params.allowed_tokens,
          permissions: params.permissions,
        },
      },
    ],
    memo: '',
  };
}

/** A new session key and a permit, signed by the wallet, that binds it for this service. */
export async function signPermit(
  signer: AminoSigner,
  opts: { chainId: string; serviceId: string; device: string; lifetimeS?: number; now?: number },
): Promise<Credentials> {
  const sessionKey = ed25519.utils.randomSecretKey();
  const expiresAt = Math.floor((opts.now ?? Date.now()) / 1000) + (opts.lifetimeS ?? DEFAULT_PERMIT_LIFETIME_S);
  const params = {
    permit_name: formatPermitName({ device: opts.device, expiresAt, sessionKey: ed25519.getPublicKey(sessionKey) }),
    allowed_tokens: [opts.serviceId],
    chain_id: opts.chainId,
    permissions: [PRAG_PERMISSION],
  };
  const { signature } = await signer.signAmino(signer.address, permitSignDoc(opts.chainId, params));
  return {
    permit: {
      params,
      signature: {
        pub_key: { type: 'tendermint/PubKeySecp256k1', value: signature.pub_key.value },
        signature: signature.signature,
      },
    },
    sessionKey,
  };
}

/** The sealed header's metadata for one request: permit, freshness, and the session key's signature. */
export function requestMeta(
  credentials: Credentials,
  request: { type: string; name: string; size: number },
  address: EnvelopeAddress,
  extra: Record<string, unknown> = {},
  ts = Date.now(),
): Record<string, unknown> {
  const nonce = bytesToHex(randomBytes(16));
  const sig = signRequest(
    { ...request, kid: bytesToHex(address.kid), ephemeral: bytesToHex(address.ephemeral), ts, nonce },
    credentials.sessionKey,
  );
  return { permit: credentials.permit, ts, nonce, sig: bytesToHex(sig), ...extra };
}
