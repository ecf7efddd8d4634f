/** Who the console is signed in as, as the gateway verified the token (/console/api/session). */
export interface Session {
  token: string;
  sub: string;
  role: 'reader' | 'writer' | 'admin';
  tenant: string | null;
  expiresAt: string;
  /** Whether the gateway offers Apollo Sandbox at GET /graphql (development). */
  sandbox: boolean;
}

/** The token was refused: the sign-in page shows `message`. */
export class SignInError extends Error {
  override name = 'SignInError';
}

export async function openSession(token: string): Promise<Session> {
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) throw new SignInError('That is not a token: a token is three dot-separated parts (eyJ….eyJ….…).');
  let response: Response;
  try {
    response = await fetch('/console/api/session', { headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new SignInError('The gateway does not answer; is DistRAG running?');
  }
  const body = (await response.json().catch(() => null)) as { errors?: Array<{ message: string }> } | Omit<Session, 'token'> | null;
  if (response.status === 401) throw new SignInError(`The gateway refused the token: ${(body as { errors?: Array<{ message: string }> })?.errors?.[0]?.message ?? 'unauthenticated'}`);
  if (!response.ok || body === null || !('role' in body)) throw new SignInError(`The gateway answered ${response.status}; try again.`);
  return { ...body, token };
}

export function isAdmin(session: Session): boolean {
  return session.role === 'admin';
}
