/**
 * The part of spice-html5 the SPICE console uses, in a chunk of its own: it is loaded the first
 * time a SPICE console connects, so a page without SPICE guests never fetches or parses it.
 */
import { patchSpiceDisplay } from './spice-patches.js';

export { SpiceMainConn } from '@spice-project/spice-html5/src/main.js';
export * as Inputs from '@spice-project/spice-html5/src/inputs.js';

patchSpiceDisplay();
