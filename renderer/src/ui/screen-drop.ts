/** What the stage says over a guest's screen whose connection dropped, and the button that reconnects it. */
import type { ScreenConsole } from '../consoles/screen-console.js';
import { h } from './dom.js';

export function droppedScreen(name: string, c: ScreenConsole, reconnect: () => void): HTMLElement[] {
  // Not tried again in the background (another viewer has its SPICE display): the user decides.
  const taken = !!c.waitsForUser;
  return [
    h('h2', {}, `${name}’s screen is ${taken ? 'shown elsewhere' : 'disconnected'}`),
    h('p', {}, `${c.reason ?? 'The connection closed'}.${taken ? '' : ' Trying again…'}`),
    h('button', { type: 'button', onclick: reconnect }, taken ? 'Take it back' : 'Reconnect now'),
  ];
}
