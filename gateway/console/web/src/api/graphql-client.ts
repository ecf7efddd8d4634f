/** A GraphQL error as the gateway reports it: the message and `extensions.code` (CONTRACT §5). */
export class GraphqlRequestError extends Error {
  override name = 'GraphqlRequestError';
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** Any failure as the panels show it: a GraphqlRequestError as it is, anything else as INTERNAL. */
export function asRequestError(failure: unknown): GraphqlRequestError {
  return failure instanceof GraphqlRequestError ? failure : new GraphqlRequestError(String(failure), 'INTERNAL');
}

interface GraphqlResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * POSTs operations to the gateway's /graphql on this origin with the session's token. A 401 (the
 * token expired or was revoked) signs the console out; other errors are thrown for the panel to show.
 */
export class GraphqlClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthenticated: (message: string) => void,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new GraphqlRequestError('The gateway does not answer; is DistRAG running?', 'NETWORK');
    }
    const body = (await response.json().catch(() => null)) as GraphqlResponse<T> | null;
    const first = body?.errors?.[0];
    if (response.status === 401) {
      const message = first?.message ?? 'the token was refused';
      this.onUnauthenticated(message);
      throw new GraphqlRequestError(message, 'UNAUTHENTICATED');
    }
    if (first) throw new GraphqlRequestError(first.message, first.extensions?.code ?? 'INTERNAL');
    if (!body?.data) throw new GraphqlRequestError(`The gateway answered ${response.status} without data`, 'INTERNAL');
    return body.data;
  }

  /** A GET of a console API route (/console/api/…) with the token; JSON back. */
  async api<T>(path: string): Promise<T> {
    const response = await this.fetchApi(path);
    return (await response.json()) as T;
  }

  /** A console API route's raw answer (an SVG plot, …). */
  async fetchApi(path: string): Promise<Response> {
    const response = await fetch(`/console/api/${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (response.status === 401) {
      this.onUnauthenticated('the token was refused');
      throw new GraphqlRequestError('the token was refused', 'UNAUTHENTICATED');
    }
    if (!response.ok) throw new GraphqlRequestError(`/console/api/${path} answered ${response.status}`, 'INTERNAL');
    return response;
  }
}
