import { useCallback, useEffect, useRef, useState } from 'react';
import { asRequestError, type GraphqlRequestError } from './graphql-client';

export interface QueryState<T> {
  data: T | null;
  error: GraphqlRequestError | null;
  loading: boolean;
  /** Runs the query again now. */
  reload: () => void;
}

/**
 * Runs `load` when the component mounts and whenever `key` changes, and every `pollMs` when given.
 * The newest answer wins: an older request finishing late is dropped.
 */
export function useQuery<T>(load: () => Promise<T>, key: string, pollMs?: number): QueryState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<GraphqlRequestError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== generation.current) return;
        setError(asRequestError(failure));
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    setData(null);
    reload();
    if (!pollMs) return;
    const timer = setInterval(reload, pollMs);
    return () => clearInterval(timer);
  }, [key, pollMs, reload]);

  return { data, error, loading, reload };
}

/** A mutation's state: run it, see it pending, its error or its result. */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<GraphqlRequestError | null>(null);
  const [result, setResult] = useState<T | null>(null);
  const run = useCallback(
    async (...args: A): Promise<T | null> => {
      setPending(true);
      setError(null);
      try {
        const value = await action(...args);
        setResult(value);
        return value;
      } catch (failure) {
        setError(asRequestError(failure));
        return null;
      } finally {
        setPending(false);
      }
    },
    [action],
  );
  return { run, pending, error, result, reset: () => setResult(null) };
}
