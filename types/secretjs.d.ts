/**
 * The part of secretjs 1.22.1 PRAG uses. secretjs' own dist/utils.d.ts
 * imports its TypeScript sources (../src/protobuf/…), which do not compile
 * under this project's strict ESM settings; tsconfig `paths` points here
 * instead. Runtime is the real package. Signatures follow secretjs'
 * dist/extensions/access_control/permit/index.d.ts, dist/utils.d.ts and
 * dist/wallet_amino.d.ts.
 */
declare module 'secretjs' {
  export type Permission = 'owner' | 'history' | 'balance' | 'allowance';

  export interface Permit {
    params: { permit_name: string; allowed_tokens: string[]; chain_id: string; permissions: string[] };
    signature: { pub_key: { type: string; value: string }; signature: string };
  }

  export interface StdSignDoc {
    chain_id: string;
    account_number: string;
    sequence: string;
    fee: { amount: Array<{ denom: string; amount: string }>; gas: string };
    msgs: Array<{ type: string; value: unknown }>;
    memo: string;
  }

  export interface AminoSignResponse {
    signed: StdSignDoc;
    signature: { pub_key: { type: string; value: string }; signature: string };
  }

  export function validatePermit(permit: Permit, address: string, contract: string, permissions: Permission[], exceptions?: boolean): boolean;
  export function newSignDoc(chainId: string, permitName: string, allowedTokens: string[], permissions: Permission[]): StdSignDoc;
  export function base64PubkeyToAddress(pubkey: string, prefix?: string): string;

  export class Wallet {
    constructor(mnemonic?: string, options?: { hdAccountIndex?: number; coinType?: number; bech32Prefix?: string });
    readonly mnemonic: string;
    readonly address: string;
    readonly publicKey: Uint8Array;
    signAmino(signerAddress: string, signDoc: StdSignDoc): Promise<AminoSignResponse>;
  }
}
