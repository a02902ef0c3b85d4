/**
 * "The first guest's console": a page that does not know the guests yet asks `/console?first=vnc`
 * (and its ?domain=, if any); the server opens the VNC display of the guest the switcher will show
 * first and names that guest in the channel's first message, a text message before the display's
 * bytes. See renderer/src/bridge/early.ts and main/serve/first-console.ts.
 */

/** The query parameter that asks for the first guest's console; its value is the display kind. */
export const FIRST_CONSOLE_PARAM = 'first';

/** Which guest a first console belongs to. */
export interface FirstConsoleName {
  host: string;
  uuid: string;
}

export function firstConsoleName(g: FirstConsoleName): string {
  return JSON.stringify({ host: g.host, uuid: g.uuid });
}

/** The guest a first console's naming message names; undefined for anything else. */
export function parseFirstConsoleName(text: string): FirstConsoleName | undefined {
  try {
    const m: unknown = JSON.parse(text);
    if (typeof m !== 'object' || m === null) return undefined;
    const { host, uuid } = m as Record<string, unknown>;
    return typeof host === 'string' && typeof uuid === 'string' ? { host, uuid } : undefined;
  } catch {
    return undefined;
  }
}
