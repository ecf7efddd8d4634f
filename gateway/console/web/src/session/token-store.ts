/**
 * Where the console keeps its token: this tab's sessionStorage (gone when the tab closes, never
 * sent anywhere but in the Authorization header). A link from `distrag up` carries the token in
 * the URL fragment (#token=…), which browsers do not send to the server; it is taken out of the
 * address bar as soon as it is read.
 */
const KEY = 'distrag.console.token';

export function takeTokenFromUrl(): string | null {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token === null) return null;
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : '#/ask'}`);
  return token.trim();
}

export function storedToken(): string | null {
  return window.sessionStorage.getItem(KEY);
}

export function storeToken(token: string): void {
  window.sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  window.sessionStorage.removeItem(KEY);
}
