/** Account: who is signed in, and forget-me behind a typed confirmation. */
import { useState } from 'preact/hooks';
import type { Prag } from '../../../src/client/index.js';
import { ErrorNote, useAction } from '../ui.js';

const CONFIRMATION = 'forget me';

export function AccountScreen({ prag, onForgotten }: { prag: Prag; onForgotten: () => void }) {
  const [typed, setTyped] = useState('');
  const [done, setDone] = useState<string>();
  const action = useAction();
  return (
    <div class="layout account">
      <section class="panel" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <dl class="facts">
          <div>
            <dt>Address</dt>
            <dd>
              <code data-testid="address">{prag.address}</code>
            </dd>
          </div>
          <div>
            <dt>Service</dt>
            <dd>
              <code>{prag.client.serviceId}</code>
            </dd>
          </div>
        </dl>
      </section>
      <section class="panel danger-zone" aria-labelledby="forget-title">
        <h2 id="forget-title">Forget me</h2>
        <p>
          Deletes every document, passage, conversation and grant of this address on the service and destroys its data
          key. It cannot be undone.
        </p>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              const reply = await prag.forgetMe();
              setDone(`Forgotten: ${reply.documents} documents erased.`);
              onForgotten();
            });
          }}
        >
          <label for="forget-confirm">Type “{CONFIRMATION}” to confirm</label>
          <input
            id="forget-confirm"
            autocomplete="off"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
          <button type="submit" class="danger" disabled={action.busy || typed.trim().toLowerCase() !== CONFIRMATION}>
            Forget me
          </button>
        </form>
        {done && <p role="status">{done}</p>}
        <ErrorNote error={action.error} />
      </section>
    </div>
  );
}
