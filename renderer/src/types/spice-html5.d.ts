// spice-html5 0.2.1 ships no types: the part of it this app uses, read from its src/*.js.
declare module '@spice-project/spice-html5/src/main.js' {
  export interface SpiceMainConnOptions {
    /** Handed to each channel's WebSocket; every channel of the session opens the same one. */
    uri: string;
    password: string;
    /** The id of the element the screen's canvas is appended to (looked up in the document). */
    screen_id: string;
    message_id?: string;
    onerror?: (e: Error) => void;
    onsuccess?: (m: string) => void;
    onagent?: (sc: SpiceMainConn) => void;
  }
  export interface SpiceChannelConn {
    state: string;
    ws: { send(data: ArrayBuffer): void };
    send_msg(msg: { buffer_size(): number; to_buffer(a: ArrayBuffer, at?: number): number | void }): void;
  }
  export interface SpiceDisplayConnLike extends SpiceChannelConn {
    primary_surface?: number;
    surfaces?: { canvas: HTMLCanvasElement; surface_id: number }[];
  }
  export class SpiceMainConn implements SpiceChannelConn {
    constructor(o: SpiceMainConnOptions);
    state: string;
    ws: { send(data: ArrayBuffer): void };
    send_msg: SpiceChannelConn['send_msg'];
    inputs?: SpiceChannelConn & { mouse_mode?: number };
    display?: SpiceDisplayConnLike;
    cursor?: SpiceChannelConn;
    mouse_mode?: number;
    stop(): void;
  }
}

declare module '@spice-project/spice-html5/src/display.js' {
  export const SpiceDisplayConn: { prototype: Record<string, unknown> };
}

declare module '@spice-project/spice-html5/src/inputs.js' {
  type Handler = (this: HTMLCanvasElement, e: unknown) => void;
  export const handle_mousemove: Handler;
  export const handle_mousedown: Handler;
  export const handle_mouseup: Handler;
  export const handle_contextmenu: Handler;
  export const handle_mousewheel: Handler;
  export const SpiceInputsConn: { prototype: Record<string, unknown> };
}

declare module '@spice-project/spice-html5/src/spiceconn.js' {
  export const SpiceConn: { prototype: Record<string, unknown> };
}
