/**
 * The `app://virtswitch/` scheme the renderer is served from, instead of file:// (whose pages can
 * read every file the user can). The handler answers GET for files inside the built renderer's
 * folder and nothing else, and sends the Content-Security-Policy as a header with every answer.
 */
import { readFile as readFileCallback } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'virtswitch';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The page's policy. Scripts only from the app itself (no eval, no inline script); no network
 * at all (consoles come over MessagePorts); images may be data: or blob: (noVNC's JPEG rects and
 * remote cursor, screenshots). style-src keeps 'unsafe-inline' because xterm.js writes its
 * theme and cell metrics into <style> elements it creates; noVNC styles only through CSSOM.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * How the scheme is registered (before the app is ready): standard, so it has an origin and
 * relative URLs resolve; secure, so the page is a secure context (noVNC wants one, and WebCrypto
 * for VeNCrypt); fetch support for the page's module script. Not CORS-enabled, no service
 * workers, no CSP bypass.
 */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/** Headers every answer carries. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

function refuse(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/**
 * The file a request names, as a path inside `root`, or a refusal: the status and why. Each
 * path segment is decoded on its own and refused if it is a dot segment or hides a separator
 * (%2f, %5c) or a NUL, so nothing decodes into a way out; the joined path must still lie inside
 * the root (belt and braces).
 */
export function resolveAppPath(root: string, url: string): { path: string } | { status: number; why: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { status: 400, why: 'not a URL' };
  }
  if (u.protocol !== `${APP_SCHEME}:`) return { status: 400, why: 'not an app: URL' };
  if (u.host !== APP_HOST || u.username || u.password || u.port) return { status: 403, why: 'foreign host' };
  const raw = u.pathname === '/' ? '/index.html' : u.pathname;
  if (!raw.startsWith('/')) return { status: 400, why: 'no path' };
  const segments: string[] = [];
  for (const enc of raw.slice(1).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(enc);
    } catch {
      return { status: 400, why: 'bad percent-encoding' };
    }
    if (seg === '' || seg === '.' || seg === '..' || /[/\\\0]/.test(seg))
      return { status: 403, why: 'path outside the app' };
    segments.push(seg);
  }
  const base = resolve(root);
  const path = join(base, ...segments);
  const rel = relative(base, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return { status: 403, why: 'path outside the app' };
  return { path };
}

export type ReadFile = (path: string) => Promise<Uint8Array>;

/** fs.readFile with a callback: the form Electron's asar support covers in the main process. */
export const readFileFromDisk: ReadFile = (path) =>
  new Promise((ok, fail) => {
    readFileCallback(path, (err, data) => (err ? fail(err) : ok(data)));
  });

/**
 * The protocol handler: `root` is the built renderer's folder. Only GET and HEAD; only known
 * file types; 404 for anything missing (directories included).
 */
export function createAppProtocolHandler(
  root: string,
  readFile: ReadFile = readFileFromDisk,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'method not allowed');
    const target = resolveAppPath(root, request.url);
    if (!('path' in target)) return refuse(target.status, target.why);
    const type = CONTENT_TYPES[extname(target.path).toLowerCase()];
    if (!type) return refuse(404, 'not found');
    let body: Uint8Array;
    try {
      body = await readFile(target.path);
    } catch {
      return refuse(404, 'not found');
    }
    const headers = { ...securityHeaders(), 'Content-Type': type, 'Content-Length': String(body.byteLength) };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}

/** True for a URL of the app's own pages (app://virtswitch/…), by parsing, not by prefix. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && !u.username && !u.password && !u.port;
  } catch {
    return false;
  }
}
