/**
 * secretjs, imported without its side effect: on import it replaces Node's
 * global fetch with cross-fetch (node-fetch 2), which cannot stream request
 * bodies (a ReadableStream body is sent as the text "[object ReadableStream]").
 * PRAG imports secretjs only through this module, which puts the native
 * fetch back.
 */
const nativeFetch = globalThis.fetch;
const secretjs = await import('secretjs');
globalThis.fetch = nativeFetch;

export const { validatePermit, base64PubkeyToAddress, newSignDoc, Wallet } = secretjs;
export type { Permission, Wallet as WalletType } from 'secretjs';
