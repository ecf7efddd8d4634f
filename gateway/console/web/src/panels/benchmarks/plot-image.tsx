import { useEffect, useState } from 'react';
import { asRequestError, type GraphqlRequestError } from '../../api/graphql-client';
import { ErrorNote } from '../../components/error-note';
import { useConsole } from '../../console-context';

/** An evaluation's SVG plot, fetched with the token and shown from a blob URL (revoked when it goes). */
export function PlotImage({ name, title }: { name: string; title: string }) {
  const { client } = useConsole();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<GraphqlRequestError | null>(null);

  useEffect(() => {
    let live = true;
    let made: string | null = null;
    client
      .fetchApi(`benchmarks/${encodeURIComponent(name)}`)
      .then((response) => response.blob())
      .then(
        (blob) => {
          if (!live) return;
          made = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: 'image/svg+xml' }));
          setUrl(made);
        },
        (failure: unknown) => live && setError(asRequestError(failure)),
      );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [client, name]);

  return (
    <figure className="card bench-plot" data-testid="bench-plot" data-plot={name}>
      <figcaption>{title}</figcaption>
      <ErrorNote error={error} />
      {url ? <img src={url} alt={title} data-testid="bench-plot-image" /> : !error && <p className="muted">Loading…</p>}
    </figure>
  );
}
