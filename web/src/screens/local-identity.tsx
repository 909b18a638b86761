/**
 * A local identity kept in this browser as the CLI's encrypted identity file:
 * create one under a passphrase, unlock it on each visit (the passphrase and
 * the unlocked key stay in this page's memory), import the CLI's identity
 * file, export the encrypted file (or the plain one, after a warning).
 */
import { useEffect, useState } from 'preact/hooks';
import { BrowserIdentity, MIN_PASSPHRASE_LENGTH, type AminoSigner } from '../../../src/client/index.js';
import { ErrorNote, useAction } from '../ui.js';

/** An object URL for a file to save, let go when it is replaced or the panel closes. */
function useDownload(): [string | undefined, (text: string | undefined) => void] {
  const [url, setUrl] = useState<string>();
  useEffect(
    () => () => {
      if (url) URL.revokeObjectURL(url);
    },
    [url],
  );
  const set = (text: string | undefined) =>
    setUrl(text === undefined ? undefined : URL.createObjectURL(new Blob([text], { type: 'application/json' })));
  return [url, set];
}

/** A passphrase chosen for the stored identity: asked twice, at least MIN_PASSPHRASE_LENGTH characters. */
function NewPassphraseForm({
  label,
  busy,
  onSubmit,
}: {
  label: string;
  busy: boolean;
  onSubmit: (passphrase: string) => void;
}) {
  const [first, setFirst] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = () => {
    if ([...first].length < MIN_PASSPHRASE_LENGTH)
      return setProblem(`The passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters.`);
    if (first !== again) return setProblem('The two passphrases differ.');
    setProblem(undefined);
    onSubmit(first);
  };
  return (
    <form
      class="grid-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label for="new-passphrase">New passphrase (at least {MIN_PASSPHRASE_LENGTH} characters)</label>
      <input
        id="new-passphrase"
        type="password"
        autocomplete="new-password"
        value={first}
        onInput={(e) => setFirst(e.currentTarget.value)}
      />
      <label for="repeat-passphrase">Repeat the passphrase</label>
      <input
        id="repeat-passphrase"
        type="password"
        autocomplete="new-password"
        value={again}
        onInput={(e) => setAgain(e.currentTarget.value)}
      />
      <p class="hint">
        The passphrase is never stored: this browser keeps only the identity file encrypted under it. Without it the
        identity cannot be opened again — export the file to keep a copy.
      </p>
      <button type="submit" disabled={busy}>
        {label}
      </button>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

/** One passphrase field and its button, as a form (Enter submits). */
function PassphraseForm({
  id,
  label,
  submit,
  busy,
  onSubmit,
}: {
  id: string;
  label: string;
  submit: string;
  busy: boolean;
  onSubmit: (passphrase: string) => void;
}) {
  const [passphrase, setPassphrase] = useState('');
  return (
    <form
      class="row"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(passphrase);
      }}
    >
      <label for={id}>{label}</label>
      <input
        id={id}
        type="password"
        autocomplete="current-password"
        value={passphrase}
        onInput={(e) => setPassphrase(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy || !passphrase}>
        {submit}
      </button>
    </form>
  );
}

interface PendingImport {
  name: string;
  text: string;
  kind: 'encrypted' | 'plain';
}

export function LocalIdentityPanel({
  busy,
  servedBy,
  onUse,
}: {
  busy: boolean;
  servedBy: 'service' | 'prag-web' | undefined;
  onUse: (signer: AminoSigner) => void;
}) {
  const action = useAction();
  const [stored, setStored] = useState<string>();
  const [identity, setIdentity] = useState<BrowserIdentity>();
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState<PendingImport>();
  const [encryptedUrl, setEncrypted] = useDownload();
  const [plainUrl, setPlain] = useDownload();
  const [plainWarning, setPlainWarning] = useState(false);
  const [understood, setUnderstood] = useState(false);

  useEffect(() => action.run(async () => setStored(BrowserIdentity.stored())), []);

  const opened = (unlocked: BrowserIdentity) => {
    setIdentity(unlocked);
    setStored(unlocked.address);
    setCreating(false);
    setPending(undefined);
  };

  const chooseFile = (file: File | undefined) => {
    if (file)
      action.run(async () => {
        const text = await file.text();
        setPending({ name: file.name, text, kind: BrowserIdentity.fileKind(text) });
      });
  };

  const forget = () =>
    action.run(async () => {
      BrowserIdentity.forget();
      setIdentity(undefined);
      setStored(undefined);
      setEncrypted(undefined);
      setPlain(undefined);
      setPlainWarning(false);
      setUnderstood(false);
    });

  const busyNow = busy || action.busy;
  return (
    <section class="panel" aria-labelledby="local-title">
      <h2 id="local-title">Local identity</h2>
      <p class="hint">
        A Secret wallet kept in this browser, encrypted under a passphrase you choose, or imported from the CLI's
        identity file (<code>prag keygen</code>).
      </p>
      {servedBy === 'service' && (
        <p class="warning" data-testid="origin-note">
          This page was served by the service. Its origin is the operator's to serve pages on, and any page served there
          can use an identity unlocked on it. To keep an identity in the browser, run <code>prag web</code> and use the
          page it serves from your own machine.
        </p>
      )}
      {identity ? (
        <>
          <p>
            Unlocked: <code data-testid="local-address">{identity.address}</code>.
          </p>
          <div class="row">
            <button type="button" disabled={busyNow} onClick={() => onUse(identity.signer)}>
              Sign in as this identity
            </button>
            <button type="button" class="secondary" onClick={() => setEncrypted(identity.encryptedFile)}>
              Export identity file
            </button>
            <button type="button" class="secondary" onClick={() => setPlainWarning(true)}>
              Export without encryption…
            </button>
            <button type="button" class="secondary" onClick={forget}>
              Remove from this browser
            </button>
          </div>
          {encryptedUrl && (
            <p class="hint">
              The file is encrypted under this identity's passphrase; <code>prag</code> opens it with the same one.{' '}
              <a href={encryptedUrl} download="prag-identity.json" data-testid="identity-download">
                Save prag-identity.json
              </a>
            </p>
          )}
          {plainWarning && (
            <div class="warning" role="alert">
              <p>
                A file without encryption holds your wallet's recovery phrase in clear: whoever has it is you, and can
                read everything shared with you. Keep it off shared disks and backups.
              </p>
              <label class="check">
                <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.currentTarget.checked)} />I
                understand that this file is my identity in clear
              </label>
              <div class="row">
                <button
                  type="button"
                  class="danger"
                  disabled={!understood || action.busy}
                  onClick={() => action.run(async () => setPlain(await identity.plainFile()))}
                >
                  Export in clear
                </button>
                {plainUrl && (
                  <a href={plainUrl} download="prag-identity-plain.json" data-testid="identity-download-plain">
                    Save prag-identity-plain.json
                  </a>
                )}
              </div>
            </div>
          )}
        </>
      ) : pending ? (
        <>
          <p>
            Importing <code>{pending.name}</code>.
          </p>
          {pending.kind === 'encrypted' ? (
            <PassphraseForm
              id="file-passphrase"
              label="Passphrase of the identity file"
              submit="Import"
              busy={busyNow}
              onSubmit={(passphrase) =>
                action.run(async () => opened(await BrowserIdentity.importFile(pending.text, passphrase)))
              }
            />
          ) : (
            <>
              <p class="hint">
                This file holds the recovery phrase in clear: choose a passphrase to keep it under in this browser.
              </p>
              <NewPassphraseForm
                label="Import and encrypt"
                busy={busyNow}
                onSubmit={(passphrase) =>
                  action.run(async () => opened(await BrowserIdentity.importFile(pending.text, passphrase)))
                }
              />
            </>
          )}
          <div class="row">
            <button type="button" class="secondary" onClick={() => setPending(undefined)}>
              Cancel import
            </button>
          </div>
        </>
      ) : stored ? (
        <>
          <p>
            This browser holds <code data-testid="stored-address">{stored}</code>, locked.
          </p>
          <PassphraseForm
            id="unlock-passphrase"
            label="Passphrase"
            submit="Unlock"
            busy={busyNow}
            onSubmit={(passphrase) => action.run(async () => opened(await BrowserIdentity.unlock(passphrase)))}
          />
          <div class="row">
            <button type="button" class="secondary" onClick={forget}>
              Remove from this browser
            </button>
          </div>
        </>
      ) : creating ? (
        <>
          <NewPassphraseForm
            label="Create the identity"
            busy={busyNow}
            onSubmit={(passphrase) => action.run(async () => opened(await BrowserIdentity.create(passphrase)))}
          />
          <div class="row">
            <button type="button" class="secondary" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <div class="row">
          <button type="button" disabled={busyNow} onClick={() => setCreating(true)}>
            Create a local identity
          </button>
          <label class="button secondary" for="identity-file">
            Import identity file
          </label>
          <input
            id="identity-file"
            class="visually-hidden"
            type="file"
            accept="application/json,.json"
            onChange={(e) => chooseFile(e.currentTarget.files?.[0])}
          />
        </div>
      )}
      {action.busy && <p class="hint">Working… (the passphrase key takes a moment to derive)</p>}
      <ErrorNote error={action.error} />
    </section>
  );
}
