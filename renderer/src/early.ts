/**
 * early.js, the page's one script: starts what need not wait for the bundle (see bridge/early.ts),
 * then runs app.js. index.html has the browser fetch app.js already; run from here, it is parsed
 * only after the sockets above are on their way (parsing 350 KB of it first kept them waiting).
 */
import { startEarly } from './bridge/early.js';

startEarly();
// A name, not a literal: app.js is its own entry, loaded by URL beside this file, not bundled in.
const app = './app.js';
import(app).catch((e: unknown) => console.error('virtswitch: could not load app.js', e));
