/** The page: connect and verify, sign in, then the screens of a signed-in user. */
import { useEffect, useState } from 'preact/hooks';
import type { Prag } from '../../src/client/index.js';
import { shortAddress } from './format.js';
import { AccountScreen } from './screens/account.js';
import { ChatScreen } from './screens/chat.js';
import { ConnectScreen, type Verified } from './screens/connect.js';
import { LibraryScreen } from './screens/library.js';
import { SearchScreen } from './screens/search.js';
import { SharingScreen } from './screens/sharing.js';
import { SignInScreen } from './screens/sign-in.js';
import { UploadScreen } from './screens/upload.js';
import { applyTheme, savedTheme, type Theme } from './theme.js';

const SCREENS = ['upload', 'library', 'search', 'chat', 'sharing', 'account'] as const;
type Screen = (typeof SCREENS)[number];
const LABELS: Record<Screen, string> = {
  upload: 'Upload',
  library: 'Library',
  search: 'Search',
  chat: 'Chat',
  sharing: 'Sharing',
  account: 'Account',
};

export function App() {
  const [verified, setVerified] = useState<Verified>();
  const [prag, setPrag] = useState<Prag>();
  const [screen, setScreen] = useState<Screen>('upload');
  const [visited, setVisited] = useState<ReadonlySet<Screen>>(new Set(['upload']));
  const [theme, setTheme] = useState<Theme>(savedTheme);
  const [collections, setCollections] = useState<string[]>([]);
  // Bumped after uploads and changes, so lists elsewhere load again.
  const [version, setVersion] = useState(0);

  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    if (!prag) return;
    void prag
      .collections()
      .then((c) => setCollections(c.map((x) => x.name)))
      .catch(() => setCollections([]));
  }, [prag, version, screen]);

  const signOut = () => {
    setPrag(undefined);
    setScreen('upload');
    setVisited(new Set(['upload']));
    setVerified(undefined);
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <h1>PRAG</h1>
        {verified && (
          <span class={verified.details.insecure ? 'badge danger' : 'badge ok'} data-testid="service-badge">
            {verified.details.insecure ? 'dev: not attested' : `attested ${verified.details.provider}`}
          </span>
        )}
        {prag && (
          <span class="small" title={prag.address} data-testid="signed-in">
            {shortAddress(prag.address)}
          </span>
        )}
        <label class="theme" for="theme">
          Theme
        </label>
        <select id="theme" value={theme} onChange={(e) => setTheme(e.currentTarget.value as Theme)}>
          <option value="system">System</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
        {prag && (
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      {prag && (
        <nav class="tabs" aria-label="Screens">
          {SCREENS.map((s) => (
            <button
              key={s}
              type="button"
              aria-current={screen === s ? 'page' : undefined}
              onClick={() => {
                setScreen(s);
                setVisited((v) => new Set([...v, s]));
              }}
            >
              {LABELS[s]}
            </button>
          ))}
        </nav>
      )}
      <main id="main">
        {!verified && <ConnectScreen onContinue={setVerified} />}
        {verified && !prag && <SignInScreen verified={verified} onSignedIn={setPrag} />}
        {prag &&
          SCREENS.filter((s) => visited.has(s)).map((s) => (
            // Screens stay mounted once opened: an upload or an answer goes on while another screen is shown.
            <div key={s} class="screen" hidden={s !== screen}>
              {s === 'upload' && <UploadScreen prag={prag} onUploaded={() => setVersion((v) => v + 1)} />}
              {s === 'library' && <LibraryScreen prag={prag} version={version} active={screen === s} />}
              {s === 'search' && <SearchScreen prag={prag} collections={collections} />}
              {s === 'chat' && <ChatScreen prag={prag} collections={collections} active={screen === s} />}
              {s === 'sharing' && <SharingScreen prag={prag} collections={collections} active={screen === s} />}
              {s === 'account' && <AccountScreen prag={prag} onForgotten={signOut} />}
            </div>
          ))}
      </main>
    </>
  );
}
