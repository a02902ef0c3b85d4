/**
 * Errors as the API reports them: a code for programs, a sentence a person can act on, and which
 * host and guest it concerns. Both shells and every layer below the facade throw this one class.
 */
import type { ApiErrorCode, ApiErrorShape } from './contract.js';

export class ApiError extends Error implements ApiErrorShape {
  readonly code: ApiErrorCode;
  readonly host?: string;
  readonly guest?: string;

  constructor(code: ApiErrorCode, message: string, where: { host?: string; guest?: string } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    if (where.host !== undefined) this.host = where.host;
    if (where.guest !== undefined) this.guest = where.guest;
  }

  toJSON(): ApiErrorShape {
    return {
      code: this.code,
      message: this.message,
      ...(this.host !== undefined ? { host: this.host } : {}),
      ...(this.guest !== undefined ? { guest: this.guest } : {}),
    };
  }
}
