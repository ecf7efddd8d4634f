import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { GraphqlClient } from './api/graphql-client';
import { LiveFeed, type LiveKind } from './api/live-feed';
import { ConsoleContext, useConsole, type ConsoleServices } from './console-context';
import { AskPanel } from './panels/ask-panel';
import { BenchmarksPanel } from './panels/benchmarks-panel';
import { CachePanel } from './panels/cache-panel';
import { ClusterPanel } from './panels/cluster-panel';
import { LivePanel } from './panels/live-panel';
import { PANELS, usePanelRoute, type PanelId } from './routes';
import { isAdmin, openSession, SignInError, type Session } from './session/session';
import { SignIn } from './session/sign-in';
import { forgetToken, storedToken, storeToken, takeTokenFromUrl } from './session/token-store';

// GraphiQL and its editor are most of the console's size: loaded when Explore first opens.
const ExplorePanel = lazy(() => import('./panels/explore-panel'));

type SignInState = { state: 'checking' } | { state: 'signed-out'; message: string | null } | { state: 'signed-in'; services: ConsoleServices };

export function App() {
  const [signIn, setSignIn] = useState<SignInState>({ state: 'checking' });
  // The live feed of the signed-in session, stopped on sign-out (outside React's state updaters).
  const feed = useRef<LiveFeed | null>(null);

  const signOut = useCallback((message: string | null) => {
    forgetToken();
    feed.current?.stop();
    feed.current = null;
    setSignIn({ state: 'signed-out', message });
  }, []);

  const signInWith = useCallback(
    (token: string) => {
      feed.current?.stop();
      setSignIn({ state: 'checking' });
      openSession(token).then(
        (session) => {
          storeToken(token);
          const services = servicesFor(session, (message) => signOut(`Signed out: ${message}`));
          feed.current = services.feed;
          setSignIn({ state: 'signed-in', services });
        },
        (error: unknown) => signOut(error instanceof SignInError ? error.message : String(error)),
      );
    },
    [signOut],
  );

  useEffect(() => {
    const token = takeTokenFromUrl() ?? storedToken();
    if (token) signInWith(token);
    else setSignIn({ state: 'signed-out', message: null });
  }, [signInWith]);

  // Signed out when the token expires, rather than at the next refused request.
  useEffect(() => {
    if (signIn.state !== 'signed-in') return;
    const left = Date.parse(signIn.services.session.expiresAt) - Date.now();
    const timer = setTimeout(() => signOut('Your token expired; sign in with a new one.'), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [signIn, signOut]);

  if (signIn.state !== 'signed-in') return <SignIn message={signIn.state === 'signed-out' ? signIn.message : null} busy={signIn.state === 'checking'} onToken={signInWith} />;
  return (
    <ConsoleContext.Provider value={signIn.services}>
      <Shell onSignOut={() => signOut(null)} />
    </ConsoleContext.Provider>
  );
}

function servicesFor(session: Session, onUnauthenticated: (message: string) => void): ConsoleServices {
  // Cluster events are for admins: the gateway refuses the subscription to other roles.
  const kinds: LiveKind[] = isAdmin(session) ? ['data', 'schema', 'cache', 'cluster'] : ['data', 'schema', 'cache'];
  const live = new LiveFeed(session.token, kinds, onUnauthenticated);
  live.start();
  return { session, client: new GraphqlClient(session.token, onUnauthenticated), feed: live };
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { session, feed } = useConsole();
  const panel = usePanelRoute();
  const status = useSyncExternalStore(feed.subscribe, feed.statusSnapshot);
  const visible = useMemo(() => PANELS.filter((p) => !p.adminOnly || isAdmin(session)), [session]);
  return (
    <div className="shell">
      <header>
        <span className="brand">DistRAG</span>
        <span className="who" data-testid="who">
          {session.role} · {session.tenant === null ? 'all tenants' : `tenant ${session.tenant}`}
        </span>
        <span className={`feed feed-${status.state}`} data-testid="feed-status" title={status.state === 'retrying' ? status.reason : undefined}>
          {status.state === 'live' ? 'live' : status.state === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
        {session.sandbox && (
          <a href="/graphql" target="_blank" rel="noreferrer">
            Apollo Sandbox
          </a>
        )}
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav>
        {visible.map((p) => (
          <a key={p.id} href={`#/${p.id}`} className={p.id === panel ? 'active' : undefined} data-testid={`nav-${p.id}`}>
            {p.label}
          </a>
        ))}
      </nav>
      <main className={`panel panel-${panel}`} data-testid={`panel-${panel}`}>
        <PanelView panel={panel} />
      </main>
    </div>
  );
}

function PanelView({ panel }: { panel: PanelId }) {
  const { session } = useConsole();
  if (PANELS.find((p) => p.id === panel)?.adminOnly && !isAdmin(session)) {
    return (
      <section className="forbidden" data-testid="forbidden">
        <h2>Admins only</h2>
        <p>The {panel} panel needs an admin token; this one is a {session.role} token{session.tenant === null ? '' : ` for tenant ${session.tenant}`}.</p>
      </section>
    );
  }
  switch (panel) {
    case 'ask':
      return <AskPanel />;
    case 'explore':
      return (
        <Suspense fallback={<p className="muted">Loading GraphiQL…</p>}>
          <ExplorePanel />
        </Suspense>
      );
    case 'live':
      return <LivePanel />;
    case 'cache':
      return <CachePanel />;
    case 'cluster':
      return <ClusterPanel />;
    case 'benchmarks':
      return <BenchmarksPanel />;
  }
}
