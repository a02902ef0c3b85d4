/**
 * A page that connects noVNC 1.7 to one console WebSocket and reports, for tests and benchmarks:
 * when the RFB session opened, when the first frame with pixels was drawn on the visible canvas,
 * and what the canvas shows. `#url=<ws url>` connects on load; `window.harness.open(url)` connects
 * again (one console at a time). Not the product's renderer: a probe of the console pipeline.
 *
 * "First frame drawn" is the first copy to the visible canvas after a rectangle with pixels
 * (any real encoding; not a pseudo-encoding such as a cursor or desktop size) was decoded. noVNC
 * has no public hook for it, so two private methods are wrapped here.
 */
import RFB from '@novnc/novnc';
import { wsProtocols as wsProtocolsFor } from '../../../common/ws-secret.js';

export interface OpenResult {
  ok: boolean;
  error?: string;
  /** ms from `new RFB` to its 'connect' event (handshake done, ServerInit read). */
  connectMs?: number;
  /** ms from `new RFB` to the first frame with pixels drawn on the visible canvas. */
  firstFrameMs?: number;
}

export interface Pixels {
  width: number;
  height: number;
  /** Pixels that are not (near) black. */
  lit: number;
  /** Distinct colours among them, roughly (a blank screen has none, text has a few). */
  colours: number;
}

interface RfbInternals {
  _FBU: { encoding: number | null };
  _handleRect(): boolean;
  _display: { _targetCtx: CanvasRenderingContext2D };
}

const TIGHT_PNG = -260;

let current: RFB | undefined;
/** The RFB session's state, as noVNC's events tell it. */
let status: 'idle' | 'connecting' | 'connected' | 'disconnected' = 'idle';
let disconnected: Promise<void> = Promise.resolve();
const screen = (): HTMLElement => document.getElementById('screen')!;

function canvas(): HTMLCanvasElement | null {
  return screen().querySelector('canvas');
}

async function close(): Promise<void> {
  const rfb = current;
  current = undefined;
  if (rfb) {
    rfb.disconnect();
    await disconnected;
  }
  screen().replaceChildren();
}

async function open(url: string, timeoutMs = 20_000): Promise<OpenResult> {
  await close();
  const t0 = performance.now();
  // A `#token=` fragment is the serve shell's secret: presented as a subprotocol, never sent in the URL.
  const hash = url.indexOf('#');
  const token = hash < 0 ? null : new URLSearchParams(url.slice(hash + 1)).get('token');
  const wsProtocols = token === null ? [] : wsProtocolsFor(token);
  const rfb = new RFB(screen(), hash < 0 ? url : url.slice(0, hash), { shared: true, wsProtocols });
  current = rfb;
  status = 'connecting';
  rfb.scaleViewport = false;
  rfb.viewOnly = true;
  const inner = rfb as unknown as RfbInternals;
  let pixelsDecoded = false;
  let connectMs: number | undefined;
  let done: (r: OpenResult) => void = () => undefined;
  const result = new Promise<OpenResult>((resolve) => (done = resolve));

  const handleRect = inner._handleRect.bind(rfb);
  inner._handleRect = (): boolean => {
    const enc = inner._FBU.encoding;
    const finished = handleRect();
    if (finished && enc !== null && (enc >= 0 || enc === TIGHT_PNG)) pixelsDecoded = true;
    return finished;
  };
  const ctx = inner._display._targetCtx;
  const drawImage = ctx.drawImage.bind(ctx) as (...a: unknown[]) => void;
  (ctx as unknown as { drawImage: (...a: unknown[]) => void }).drawImage = (...args: unknown[]): void => {
    drawImage(...args);
    if (pixelsDecoded) done({ ok: true, connectMs, firstFrameMs: performance.now() - t0 });
  };

  disconnected = new Promise<void>((resolve) =>
    rfb.addEventListener('disconnect', (e) => {
      status = 'disconnected';
      done({
        ok: false,
        error: `disconnected before the first frame (clean: ${String((e as CustomEvent<{ clean: boolean }>).detail.clean)})`,
      });
      resolve();
    }),
  );
  rfb.addEventListener('connect', () => {
    connectMs = performance.now() - t0;
    status = 'connected';
  });
  rfb.addEventListener('securityfailure', (e) =>
    done({ ok: false, error: `security failure: ${JSON.stringify((e as CustomEvent).detail)}` }),
  );
  const timer = setTimeout(() => done({ ok: false, error: `no frame within ${timeoutMs} ms` }), timeoutMs);
  const r = await result;
  clearTimeout(timer);
  return r;
}

/** What the visible canvas shows now. */
function pixels(): Pixels {
  const c = canvas();
  if (!c) return { width: 0, height: 0, lit: 0, colours: 0 };
  const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let lit = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    if (r + g + b > 60) {
      lit++;
      if (colours.size < 64) colours.add((r << 16) | (g << 8) | b);
    }
  }
  return { width: c.width, height: c.height, lit, colours: colours.size };
}

/**
 * Compares the visible canvas with an image (e.g. libvirt's screenshot of the same guest, as a
 * data: URL): the size of each, the share of pixels that match within a small tolerance, and
 * that share among the pixels lit in either (the text, where a wrong picture would show).
 */
async function compare(
  imageUrl: string,
): Promise<{ width: number; height: number; imageWidth: number; imageHeight: number; same: number; litSame: number }> {
  const c = canvas();
  const img = new Image();
  img.src = imageUrl;
  await img.decode();
  const out = {
    width: c?.width ?? 0,
    height: c?.height ?? 0,
    imageWidth: img.naturalWidth,
    imageHeight: img.naturalHeight,
    same: 0,
    litSame: 0,
  };
  if (!c || c.width !== img.naturalWidth || c.height !== img.naturalHeight) return out;
  const ref = document.createElement('canvas');
  ref.width = img.naturalWidth;
  ref.height = img.naturalHeight;
  const rctx = ref.getContext('2d')!;
  rctx.drawImage(img, 0, 0);
  const a = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  const b = rctx.getImageData(0, 0, c.width, c.height).data;
  let same = 0;
  let lit = 0;
  let litSame = 0;
  for (let i = 0; i < a.length; i += 4) {
    const match = Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!) < 24;
    if (match) same++;
    if (a[i]! + a[i + 1]! + a[i + 2]! > 60 || b[i]! + b[i + 1]! + b[i + 2]! > 60) {
      lit++;
      if (match) litSame++;
    }
  }
  out.same = same / (a.length / 4);
  out.litSame = lit ? litSame / lit : 0;
  return out;
}

const api = { open, close, pixels, compare, status: (): typeof status => status };
declare global {
  interface Window {
    harness: typeof api;
    harnessFirst?: Promise<OpenResult>;
  }
}
window.harness = api;
const fromFragment = new URLSearchParams(location.hash.slice(1)).get('url');
if (fromFragment) window.harnessFirst = open(fromFragment);
