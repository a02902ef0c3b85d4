/** What the console pool, the stage and the thumbnails need of a guest's screen, VNC or SPICE. */
import type { GuestRef, Scaling } from '../../../common/contract.js';

export type ScreenStatus = 'connecting' | 'connected' | 'disconnected';

export interface ScreenConsoleEvents<C> {
  status(c: C): void;
  clipboard(c: C, text: string): void;
}

/** Timings of a console's last move between hosts, for the benchmark (performance.now() values). */
export interface HandoverTimes {
  /** The last data from the old host's display. */
  lastSourceData: number;
  /** The new host's display's first frame on the stage. */
  firstTargetFrame: number;
  /** When the console learnt the guest's new host, and when that host's display answered. */
  retargeted?: number;
  connected?: number;
}

export interface ScreenConsole {
  /** The guest, on the host whose display it shows. */
  readonly ref: GuestRef;
  readonly key: string;
  readonly element: HTMLDivElement;
  readonly kind: 'vnc' | 'spice';
  status: ScreenStatus;
  /** Why it disconnected, in words, when it did. */
  reason: string | undefined;
  /** Disconnected and not tried again in the background: it waits for the user (see after-drop.ts). */
  waitsForUser?: boolean;
  /** The guest's screen size, once its first frame arrived. */
  width: number;
  height: number;
  /** Bumped whenever the canvas may have new pixels (for thumbnails). */
  generation: number;
  readonly canvas: HTMLCanvasElement | null;
  /** Bytes received from the guest, for the background-traffic figure. */
  readonly bytesIn: number;
  /** Its updates are held back (a background console). */
  readonly isHeld: boolean;
  /** Why the guest's clipboard cannot be reached through this console, when it cannot. */
  readonly noClipboard?: string;
  connect(): void;
  setScaling(s: Scaling): void;
  /** Gives it keyboard, video and mouse, or takes them away after releasing the keys it holds. */
  setActive(active: boolean, heldCodes?: readonly string[]): void;
  /** View only: it shows the guest but sends no keys or pointer; keys held down are released first. */
  setViewOnly(on: boolean, heldCodes?: readonly string[]): void;
  /** Lets go of the keys the guest holds down: the keyboard is about to serve something else on the page. */
  releaseHeld(heldCodes: readonly string[]): void;
  /** When its thumbnail last showed what the guest shows (performance.now()); 0 before the first. */
  thumbnailAsOf: number;
  /** Lets a background console catch up once (for its thumbnail); false when it can't now. */
  refresh(): boolean;
  focus(): void;
  sendKey(keysym: number, code: string, down?: boolean): void;
  pasteClipboard(text: string): void;
  dispose(): void;
  // A console that can follow its guest to another host keeping its picture and keys (VNC).
  /** Set while the guest moves between hosts. */
  moving?: boolean;
  /** The old host's last picture stands in for the screen. */
  readonly frozen?: boolean;
  readonly handoverTimes?: HandoverTimes;
  /** The guest now lives at `ref`: connect to its display there. */
  retarget?(ref: GuestRef): void;
  /** While it moves: open the guest's display on the target already (undefined: drop it). */
  prepare?(target: GuestRef | undefined): void;
  /** Keeps the current picture and the keys typed from now on, for the next display. */
  freeze?(): void;
  /** Keeps the keys typed from now on for the display the guest will be on when its move ends. */
  holdKeys?(): void;
  /** The move ended where it began: back to this display, with the keys kept meanwhile. */
  unfreeze?(): void;
}
