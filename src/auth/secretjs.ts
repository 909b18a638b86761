/**
 * secretjs 1.22.1, the part PRAG uses, imported without its two problems:
 *  - on import it replaces Node's global fetch with cross-fetch (node-fetch 2),
 *    which cannot stream request bodies; this module puts the native fetch back;
 *  - its dist/utils.d.ts imports its TypeScript sources (../src/protobuf/…),
 *    which do not compile under this project's strict ESM settings; so the
 *    package is loaded by a computed specifier and typed by the declarations
 *    below (from secretjs' dist/extensions/access_control/permit/index.d.ts,
 *    dist/utils.d.ts and dist/wallet_amino.d.ts).
 */
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

export interface WalletType {
  readonly mnemonic: string;
  readonly address: string;
  readonly publicKey: Uint8Array;
  signAmino(
    signerAddress: string,
    signDoc: StdSignDoc,
  ): Promise<{ signed: StdSignDoc; signature: Permit['signature'] }>;
}

/** secretjs' gRPC-gateway client; contract queries are encrypted to the chain's key by secretjs. */
export interface SecretNetworkClientType {
  query: {
    compute: {
      /** May return the contract's error as a string instead of throwing. */
      queryContract<T>(args: { contract_address: string; code_hash?: string; query: object }): Promise<T | string>;
    };
  };
}

// Plain functions that use no `this`: typed as properties so that destructuring them (below) is sound.
interface SecretJs {
  SecretNetworkClient: new (options: { url: string; chainId: string }) => SecretNetworkClientType;
  validatePermit: (
    permit: Permit,
    address: string,
    contract: string,
    permissions: Permission[],
    exceptions?: boolean,
  ) => boolean;
  newSignDoc: (chainId: string, permitName: string, allowedTokens: string[], permissions: Permission[]) => StdSignDoc;
  base64PubkeyToAddress: (pubkey: string, prefix?: string) => string;
  Wallet: new (mnemonic?: string) => WalletType;
}

const specifier = 'secretjs';
const nativeFetch = globalThis.fetch;
const imported = (await import(specifier)) as SecretJs & { default?: SecretJs };
globalThis.fetch = nativeFetch;
// CommonJS: under Node's ESM loader the exports may sit on `default`.
function exportsOf(module: SecretJs & { default?: SecretJs }): SecretJs {
  if (typeof module.Wallet === 'function') return module;
  if (module.default === undefined) throw new Error(`${specifier} exports neither Wallet nor a default export`);
  return module.default;
}
const secretjs = exportsOf(imported);

export const { validatePermit, base64PubkeyToAddress, newSignDoc, Wallet, SecretNetworkClient } = secretjs;
