/**
 * A failure of the test rig's environment (no libvirtd, no kernel, no Chromium …). Its message is
 * one line that says what is missing and how to get it; the stack is left out on purpose, because
 * a stack trace tells someone setting up a machine nothing.
 */
export class RigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RigError';
    this.stack = `RigError: ${message}`;
  }
}
