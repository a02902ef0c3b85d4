/** A command that failed, as a bridge reports it to the page: the API's code and sentence, and where. */
import type { ApiErrorShape } from './contract.js';

export class BridgeError extends Error {
  readonly code: string;
  readonly host?: string;
  readonly guest?: string;

  constructor(shape: ApiErrorShape | { code: string; message: string; host?: string; guest?: string }) {
    super(shape.message);
    this.name = 'BridgeError';
    this.code = shape.code;
    if (shape.host !== undefined) this.host = shape.host;
    if (shape.guest !== undefined) this.guest = shape.guest;
  }
}
