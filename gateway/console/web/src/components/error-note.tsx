import type { GraphqlRequestError } from '../api/graphql-client';

/** What went wrong, with the error's code (FORBIDDEN, LLM_NOT_CONFIGURED, …) as the gateway gave it. */
export function ErrorNote({ error }: { error: GraphqlRequestError | null }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid="error">
      <code>{error.code}</code> {error.message}
    </p>
  );
}
