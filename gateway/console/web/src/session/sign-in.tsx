import { useState, type FormEvent } from 'react';

/** The page shown without a (valid) token: paste one, or follow the link `distrag up` prints. */
export function SignIn({ message, busy, onToken }: { message: string | null; busy: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return (
    <main className="sign-in" data-testid="sign-in">
      <form onSubmit={submit}>
        <h1>DistRAG console</h1>
        <p>Sign in with a DistRAG token. You see what its role may see, and nothing more.</p>
        {message && (
          <p className="error" role="alert" data-testid="sign-in-error">
            {message}
          </p>
        )}
        <label htmlFor="token">Token</label>
        <textarea id="token" name="token" rows={4} spellCheck={false} autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="eyJhbGciOiJIUzI1NiIs…" />
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="hint">
          Get one with <code>npx distrag token --role admin</code> (or <code>--role reader --tenant 3</code>). <code>npx distrag up</code> prints a console link that signs in by itself.
        </p>
      </form>
    </main>
  );
}
