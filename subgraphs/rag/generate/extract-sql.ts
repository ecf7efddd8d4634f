/**
 * The SQL in an LLM's reply, however the model wrapped it: bare, in a ```sql (or plain ```) block,
 * in a JSON object (`{"sql": "…"}`, itself possibly in a ```json block), between `<sql>` tags, or
 * with chatter around it; a `<think>…</think>` section before it is skipped. The trailing semicolon is removed. Null when the reply holds no SQL
 * (including `{"sql": null}`). What comes back is not checked for safety: the guard does that, so
 * nothing is dropped here that it should see (a second statement stays in).
 */
export function extractSql(reply: string): string | null {
  // Reasoning models served through OpenAI-compatible endpoints (DeepSeek-R1, Qwen3) think aloud
  // first, drafts included; the answer follows the thinking.
  const text = reply.replace(/<think>[\s\S]*?(?:<\/think>|$)/gi, '').trim();
  if (text === '') return null;
  if (text.startsWith('{')) {
    const whole = sqlFromJson(text);
    if (whole !== undefined) return whole;
  }
  const fenced = sqlFromFences(text);
  if (fenced !== undefined) return fenced;
  const tagged = /<sql>([\s\S]*?)(?:<\/sql>|$)/i.exec(text);
  if (tagged) return finish(tagged[1] ?? '');
  const embedded = sqlFromEmbeddedJson(text);
  if (embedded !== undefined) return embedded;
  const bare = bareStatements(text);
  return bare === null ? null : finish(bare);
}

/** Keys under which models put the query in a JSON reply. */
const SQL_KEYS = ['sql', 'SQL', 'query', 'sql_query', 'sqlQuery'];

/** Words a statement can start with; the guard decides which may run. */
const STATEMENT = /^(?:with|select|values|table|insert|update|delete|merge|explain|create|alter|drop|truncate|grant|revoke|copy|call|do|set|reset|show|begin|start|commit|rollback|vacuum|analyze|refresh|lock|comment|prepare|execute|declare|listen|notify)\b/i;

const SQL_FENCE_TAGS = new Set(['sql', 'postgresql', 'postgres', 'pgsql', 'psql', 'plpgsql', 'sqlite', 'mysql']);

/**
 * The SQL of a JSON object: a string under one of SQL_KEYS (null for an empty or null value),
 * or undefined when `text` is not such an object.
 */
function sqlFromJson(text: string): string | null | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const object = balancedObjectAt(text, 0);
    if (object === null || object.length === text.length) return undefined;
    return sqlFromJson(object);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const key = SQL_KEYS.find((k) => k in value);
  // A JSON object that names no query at all is an answer without SQL ({"error": "…"}).
  if (key === undefined) return text.startsWith('{') ? null : undefined;
  const sql = (value as Record<string, unknown>)[key];
  if (typeof sql !== 'string') return null;
  const inner = sqlFromFences(sql.trim());
  return inner !== undefined ? inner : finish(sql);
}

interface Fence {
  tag: string;
  body: string;
}

/** ```tag … ``` blocks in order; an unclosed last block runs to the end (a reply cut short). */
function fences(text: string): Fence[] {
  const found: Fence[] = [];
  for (const match of text.matchAll(/```([^\n`]*)(?:\n([\s\S]*?))?(?:```|$)/g)) {
    const info = (match[1] ?? '').trim();
    const body = match[2] ?? '';
    // ```SELECT 1``` on one line: the "info string" is the SQL itself.
    if (STATEMENT.test(info) && /\s/.test(info)) found.push({ tag: '', body: `${info}\n${body}` });
    else found.push({ tag: (info.split(/\s/)[0] ?? '').toLowerCase(), body });
  }
  return found;
}

/** The first SQL block, else the first JSON block naming the SQL, else the first untagged block holding a statement. */
function sqlFromFences(text: string): string | null | undefined {
  const blocks = fences(text);
  if (blocks.length === 0) return undefined;
  const sqlBlock = blocks.find((b) => SQL_FENCE_TAGS.has(b.tag));
  if (sqlBlock) return finish(sqlBlock.body);
  for (const block of blocks) {
    if ((block.tag === 'json' || block.tag === '') && block.body.trim().startsWith('{')) {
      const sql = sqlFromJson(block.body.trim());
      if (sql !== undefined) return sql;
    }
  }
  const plain = blocks.find((b) => b.tag === '' && STATEMENT.test(b.body.trim()));
  return plain ? finish(plain.body) : undefined;
}

/** A JSON object naming the SQL somewhere in chatter ("Here you go: {"sql": …}"). */
function sqlFromEmbeddedJson(text: string): string | null | undefined {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    const object = balancedObjectAt(text, start);
    if (object === null || !/"(?:sql|SQL|query|sql_query|sqlQuery)"\s*:/.test(object)) continue;
    const sql = sqlFromJson(object);
    if (sql !== undefined) return sql;
  }
  return undefined;
}

/** The `{…}` starting at `start`, braces inside JSON strings ignored; null when it never closes. */
function balancedObjectAt(text: string, start: number): string | null {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === '\\') i += 1;
    } else if (char === '{') depth += 1;
    else if (char === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/**
 * SQL written without markup: from the first line that starts a statement — or, failing that, an
 * upper-case SELECT or WITH inside a line ("SQLQuery: SELECT …") — to the first prose after it.
 * A keyword starts a statement when written in one case (SELECT, select); Like This it is prose.
 */
function bareStatements(text: string): string | null {
  let start = -1;
  let offset = 0;
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.trimStart();
    const word = /^[A-Za-z]+/.exec(trimmed)?.[0] ?? '';
    const oneCase = word === word.toUpperCase() || word === word.toLowerCase();
    // "Select name from students" opening a reply is SQL; "Show me…", "With pleasure!" are not.
    const capitalisedSelect = index === 0 && word === 'Select' && /\bfrom\b/i.test(trimmed);
    if (STATEMENT.test(trimmed) && ((oneCase && !isProse(trimmed)) || capitalisedSelect)) {
      start = offset + (line.length - trimmed.length);
      break;
    }
    offset += line.length + 1;
  }
  if (start === -1) {
    const inline = /(?<![\w"'])(?:SELECT|WITH)\b(?=\s)/.exec(text);
    if (inline === null) return null;
    start = inline.index;
  }
  return text.slice(start, statementsEnd(text, start));
}

/**
 * Where the statements starting at `start` end: after a `;` that is not followed by another
 * statement, or before a line of prose, whichever comes first (quotes, dollar quotes and comments
 * skipped).
 */
function statementsEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const skipped = skipQuotedOrComment(text, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const char = text[i];
    if (char === ';') {
      let next = i + 1;
      for (let moved = true; moved; ) {
        const before = next;
        while (next < text.length && /\s/.test(text[next] as string)) next += 1;
        if (text.startsWith('--', next) || text.startsWith('/*', next)) next = skipQuotedOrComment(text, next);
        moved = next !== before;
      }
      if (!STATEMENT.test(text.slice(next, next + 12))) return i + 1;
      i = next;
      continue;
    }
    if (char === '\n') {
      const rest = text.slice(i + 1);
      const line = /^[^\n]*/.exec(rest)?.[0] ?? '';
      if (line.trim() === '') {
        // A blank line: what follows is more SQL only if it reads like SQL.
        const following = rest.replace(/^\s*/, '');
        if (following === '' || !looksLikeSql(following)) return i;
      } else if (isProse(line.trim())) return i;
    }
    i += 1;
  }
  return text.length;
}

/** Lines that SQL does not contain at top level: sentences, labels ("Explanation: …"), markdown. */
function isProse(line: string): boolean {
  if (/^(?:\*\*|#{1,6}\s|[-*+]\s|\d+[.)]\s|>\s)/.test(line)) return true;
  if (/^[A-Za-z][\w ]{0,30}:(?:\s|$)/.test(line)) return true;
  // A sentence starts with a capitalised word (SQL keywords are written in one case).
  return /^[A-Z][a-z']+[,]?\s+[a-z]/.test(line);
}

/** A line that continues or starts SQL after a blank line. */
function looksLikeSql(text: string): boolean {
  const line = /^[^\n]*/.exec(text)?.[0] ?? '';
  if (isProse(line)) return false;
  return STATEMENT.test(line) || /^(?:from|where|join|inner|left|right|full|cross|on|and|or|group|order|having|limit|offset|union|intersect|except|window|returning|[(),]|--|\/\*)/i.test(line);
}

/**
 * The index just past a string, quoted identifier, dollar-quoted body or comment starting at `i`,
 * or `i` when none starts there. An unterminated one runs to the end.
 */
function skipQuotedOrComment(text: string, i: number): number {
  const char = text[i];
  if (char === "'" || char === '"') {
    const escapes = char === "'" && /[eE]/.test(text[i - 1] ?? '') && !/\w/.test(text[i - 2] ?? '');
    for (let j = i + 1; j < text.length; j += 1) {
      if (escapes && text[j] === '\\') j += 1;
      else if (text[j] === char) {
        if (text[j + 1] === char) j += 1;
        else return j + 1;
      }
    }
    return text.length;
  }
  if (text.startsWith('--', i)) {
    const end = text.indexOf('\n', i);
    return end === -1 ? text.length : end;
  }
  if (text.startsWith('/*', i)) {
    let depth = 0;
    for (let j = i; j < text.length; j += 1) {
      if (text.startsWith('/*', j)) {
        depth += 1;
        j += 1;
      } else if (text.startsWith('*/', j)) {
        depth -= 1;
        j += 1;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  if (char === '$' && !/\w/.test(text[i - 1] ?? '')) {
    const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))?.[0];
    if (tag !== undefined) {
      const end = text.indexOf(tag, i + tag.length);
      return end === -1 ? text.length : end + tag.length;
    }
  }
  return i;
}

/** Trimmed, without the final `;` (nor whitespace or comments after it); null when nothing is left. */
function finish(sql: string): string | null {
  let text = sql.trim();
  let lastTerminator = -1;
  let contentAfter = false;
  for (let i = 0; i < text.length; ) {
    const skipped = skipQuotedOrComment(text, i);
    if (skipped !== i) {
      if (!text.startsWith('--', i) && !text.startsWith('/*', i)) contentAfter = true;
      i = skipped;
      continue;
    }
    if (text[i] === ';') {
      lastTerminator = i;
      contentAfter = false;
    } else if (!/\s/.test(text[i] as string)) contentAfter = true;
    i += 1;
  }
  if (lastTerminator !== -1 && !contentAfter) text = text.slice(0, lastTerminator).trimEnd();
  // `SELECT 1;;` and the like.
  while (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
  return text === '' ? null : text;
}
