/**
 * A local identity kept in the browser: a Secret wallet's mnemonic, stored in
 * localStorage only as the CLI's passphrase-encrypted identity file
 * (identity-file.ts: scrypt → XChaCha20-Poly1305). The passphrase is never
 * stored: it is asked to create the identity and to unlock it on each visit,
 * and the unlocked identity lives only in this object (docs/web.md, "The
 * local identity"). One identity works in both the page and the CLI.
 */
import { mnemonicSigner, newMnemonic } from './amino-key.js';
import type { AminoSigner } from './credentials.js';
import { encodeIdentity, identityMnemonic, IdentityError, parseIdentity } from './identity-file.js';

const STORAGE_KEY = 'prag.identity.v1';
const STORED_NAME = 'the identity stored in this browser';

/** The shortest passphrase the page accepts to store an identity under. */
export const MIN_PASSPHRASE_LENGTH = 12;

const fileText = (data: unknown) => `${JSON.stringify(data, null, 2)}\n`;

function checkNewPassphrase(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH)
    throw new IdentityError(`the passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters`);
}

async function signerFor(mnemonic: string, address?: string): Promise<AminoSigner> {
  const signer = await mnemonicSigner(mnemonic);
  if (address !== undefined && signer.address !== address)
    throw new IdentityError('the mnemonic does not derive the recorded address');
  return signer;
}

export class BrowserIdentity {
  private constructor(
    /** The signer permits are signed with (the key stays in this object, never in the DOM). */
    readonly signer: AminoSigner,
    private readonly mnemonic: string,
    /** The encrypted identity file this browser stores. */
    readonly encryptedFile: string,
  ) {}

  /** The identity's `secret1…` address. */
  get address(): string {
    return this.signer.address;
  }

  /** The address of the identity stored (locked) in this browser, if any. */
  static stored(): string | undefined {
    const text = localStorage.getItem(STORAGE_KEY);
    return text === null ? undefined : parseIdentity(text, STORED_NAME).address;
  }

  /** Opens the stored identity with its passphrase (an IdentityError says when it is wrong). */
  static async unlock(passphrase: string): Promise<BrowserIdentity> {
    const text = localStorage.getItem(STORAGE_KEY);
    if (text === null) throw new IdentityError('this browser stores no identity');
    const data = parseIdentity(text, STORED_NAME);
    if (data.kind !== 'prag-identity-encrypted') throw new IdentityError(`${STORED_NAME} is not encrypted`);
    const mnemonic = await identityMnemonic(data, STORED_NAME, async () => passphrase);
    return new BrowserIdentity(await signerFor(mnemonic, data.address), mnemonic, text);
  }

  /** Makes a new wallet and stores it under the passphrase (replacing any stored one). */
  static async create(passphrase: string): Promise<BrowserIdentity> {
    return BrowserIdentity.store(newMnemonic(), passphrase);
  }

  /**
   * The kind of a CLI identity file (`prag keygen`'s JSON): an encrypted one
   * is opened and stored under its own passphrase, a plain one needs a new
   * passphrase to be stored under.
   */
  static fileKind(text: string): 'encrypted' | 'plain' {
    return parseIdentity(text, 'the identity file').kind === 'prag-identity-encrypted' ? 'encrypted' : 'plain';
  }

  /**
   * Imports a CLI identity file and stores it in this browser, encrypted:
   * an encrypted file as it is (`passphrase` opens it), a plain one
   * encrypted under `passphrase`.
   */
  static async importFile(text: string, passphrase: string): Promise<BrowserIdentity> {
    const data = parseIdentity(text, 'the identity file');
    if (data.kind === 'prag-identity-v1') return BrowserIdentity.store(data.mnemonic, passphrase, data.address);
    const mnemonic = await identityMnemonic(data, 'the identity file', async () => passphrase);
    const identity = new BrowserIdentity(await signerFor(mnemonic, data.address), mnemonic, fileText(data));
    localStorage.setItem(STORAGE_KEY, identity.encryptedFile);
    return identity;
  }

  /** Deletes the stored identity from this browser. */
  static forget(): void {
    localStorage.removeItem(STORAGE_KEY);
  }

  /** The identity as the CLI's plain identity file: it holds the mnemonic in clear — whoever has it is this user. */
  async plainFile(): Promise<string> {
    return fileText(await encodeIdentity({ mnemonic: this.mnemonic, address: this.address }));
  }

  private static async store(mnemonic: string, passphrase: string, address?: string): Promise<BrowserIdentity> {
    checkNewPassphrase(passphrase);
    const signer = await signerFor(mnemonic, address);
    const encrypted = fileText(await encodeIdentity({ mnemonic, address: signer.address }, passphrase));
    localStorage.setItem(STORAGE_KEY, encrypted);
    return new BrowserIdentity(signer, mnemonic, encrypted);
  }
}
