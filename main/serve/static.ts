/**
 * The built renderer's files, served read-only with strict headers; nothing outside its folder,
 * not even through a symbolic link in it. Over TLS, browsers are told to keep to https (HSTS).
 */
import { createReadStream, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** The page may talk only to its own origin (its API and console WebSockets). */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HEADERS = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

/** Over TLS only: a year, as the https page has no business being reached over plain http. */
const HSTS = { 'Strict-Transport-Security': 'max-age=31536000' };

function fail(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, tls = false): void {
  if (tls) for (const [k, v] of Object.entries(HSTS)) res.setHeader(k, v);
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'method not allowed');
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return fail(res, 400, 'bad path');
  }
  if (path.includes('\0')) return fail(res, 400, 'bad path');
  if (path === '/') path = '/index.html';
  let base: string;
  let file: string;
  try {
    // Compared as real paths: a symbolic link in the folder must not lead out of it.
    base = realpathSync(resolve(root));
    file = realpathSync(resolve(join(base, path)));
  } catch {
    return fail(res, 404, 'not found');
  }
  if (file !== base && !file.startsWith(base + sep)) return fail(res, 404, 'not found');
  let st: Stats;
  try {
    st = statSync(file);
    if (!st.isFile()) return fail(res, 404, 'not found');
  } catch {
    return fail(res, 404, 'not found');
  }
  const body = st.size <= MAX_CACHED ? cached(file, st) : undefined;
  res.writeHead(200, {
    ...HEADERS,
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body?.length ?? st.size,
  });
  if (req.method === 'HEAD') return void res.end();
  if (body) return void res.end(body);
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * The page's own files are answered from memory, in one write: at start the server is also
 * connecting its hosts, and a file streamed in 64 KiB reads waits behind that work once per read.
 * An entry is good while the file keeps its size and modification time (a rebuild replaces it).
 */
const MAX_CACHED = 2 << 20;
const cache = new Map<string, { mtimeMs: number; size: number; body: Buffer }>();

function cached(file: string, st: Stats): Buffer | undefined {
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.body;
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    return undefined;
  }
  // Changed between the stat and the read: streamed this time, cached next time.
  if (body.length !== st.size) return undefined;
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, body });
  return body;
}
