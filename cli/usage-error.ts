/**
 * A mistake in how `cosmos-copy` was called. It exits with 2, as commander's own parse errors do, so that a
 * CI script can tell "fix the command line" (2) from "the job or the service failed" (1).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
