import hljs from 'highlight.js/lib/core';
import sql from 'highlight.js/lib/languages/pgsql';
import { useMemo } from 'react';

hljs.registerLanguage('pgsql', sql);

/** SQL, highlighted (PostgreSQL dialect). highlight.js escapes the text it marks up. */
export function SqlView({ sql: text, params }: { sql: string; params?: string[] }) {
  const html = useMemo(() => hljs.highlight(text, { language: 'pgsql' }).value, [text]);
  return (
    <div className="sql" data-testid="sql">
      <pre>
        <code className="hljs language-pgsql" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
      {params && params.length > 0 && (
        <p className="params">
          bound: {params.map((p, i) => (
            <code key={i}>
              ${i + 1} = {p}
            </code>
          ))}
        </p>
      )}
    </div>
  );
}
