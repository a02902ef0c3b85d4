// noVNC 1.7 ships no types: the little of RFB the console harness uses (docs/API.md at v1.7.0).
declare module '@novnc/novnc' {
  export default class RFB extends EventTarget {
    constructor(
      target: HTMLElement,
      urlOrChannel: string | WebSocket,
      options?: { shared?: boolean; wsProtocols?: string[] },
    );
    scaleViewport: boolean;
    viewOnly: boolean;
    disconnect(): void;
  }
}
