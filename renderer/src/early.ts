/** early.js: the part of the start that need not wait for app.js (see bridge/early.ts). */
import { startEarly } from './bridge/early.js';

startEarly();
