import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/** Types worth compressing; fonts and images are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg']);

interface LoadedFile {
  /** The file's mtime and size when read: a rebuilt console is read again. */
  version: string;
  body: Buffer;
  gzipped: Buffer | null;
  type: string;
}

/**
 * Serves the files of one built directory, kept in memory with their gzip form (the console is a
 * few megabytes, asked for by every browser that opens it) and read again when a file changes on
 * disk (a new build). A path is only ever
 * resolved inside the directory: `..`, absolute paths and names that are not files answer 404.
 */
export class StaticFiles {
  private readonly files = new Map<string, LoadedFile>();

  constructor(readonly dir: string) {}

  /** Whether the directory holds the file at this relative path. */
  has(relative: string): boolean {
    return this.load(relative) !== null;
  }

  /** Answers GET/HEAD for a relative path; false when there is no such file (nothing is sent then). */
  send(req: IncomingMessage, res: ServerResponse, relative: string, headers: Record<string, string>): boolean {
    const file = this.load(relative);
    if (!file) return false;
    const gzip = file.gzipped !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzipped! : file.body;
    res.writeHead(200, {
      ...headers,
      'content-type': file.type,
      'content-length': body.length,
      'x-content-type-options': 'nosniff',
      vary: 'Accept-Encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  private load(relative: string): LoadedFile | null {
    if (relative.includes('\0')) return null;
    const root = path.resolve(this.dir);
    const full = path.resolve(root, relative);
    if (!full.startsWith(root + path.sep)) return null;
    let version: string;
    try {
      const stat = fs.statSync(full);
      if (!stat.isFile()) return null;
      version = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return null;
    }
    const known = this.files.get(relative);
    if (known?.version === version) return known;
    const loaded = this.read(full, version);
    // Only names that exist are remembered: a stranger's random paths must not grow the map.
    if (loaded) this.files.set(relative, loaded);
    return loaded;
  }

  private read(full: string, version: string): LoadedFile | null {
    let body: Buffer;
    try {
      body = fs.readFileSync(full);
    } catch {
      return null;
    }
    const ext = path.extname(full).toLowerCase();
    const type = CONTENT_TYPES[ext];
    if (!type) return null;
    return { version, body, type, gzipped: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : null };
  }
}
