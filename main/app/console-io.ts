/**
 * What a shell needs to move console bytes without copying: the reader a channel can read into
 * (a socket channel reads into the shell's buffer instead of emitting 'data').
 */
export { readsIntoReader, type ChannelReader } from '../consoles/endpoint.js';
