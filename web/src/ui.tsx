/** Small pieces every screen uses: an error line with its code, a busy flag around an action. */
import { useState } from 'preact/hooks';
import { errorInfo, type ErrorInfo } from './format.js';

export function ErrorNote({ error }: { error: ErrorInfo | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      <code>{error.code}</code> {error.message}
    </p>
  );
}

/**
 * Runs one action at a time: `busy` while it runs, `error` if it threw.
 * The returned `run` never rejects, so event handlers can call it directly.
 */
export function useAction(): {
  busy: boolean;
  error: ErrorInfo | undefined;
  run: (action: () => Promise<void>) => void;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo>();
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action()
      .catch((e: unknown) => setError(errorInfo(e)))
      .finally(() => setBusy(false));
  };
  return { busy, error, run, clear: () => setError(undefined) };
}
