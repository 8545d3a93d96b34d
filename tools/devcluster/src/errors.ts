/**
 * A node, the load balancer or Redis did not come up (or go down) in time.
 * Carries the process name and the tail of its log so the message alone is
 * enough to see why. A launcher error, not a wire error: it never reaches a client.
 */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly processName?: string,
    readonly logTail?: string,
  ) {
    super(logTail ? `${message}\n--- last lines of ${processName ?? 'log'} ---\n${logTail}` : message);
    this.name = 'LaunchError';
  }
}

/** The `haproxy` binary is missing; the CLI turns this into a one-line hint. */
export class HaproxyMissingError extends LaunchError {
  constructor() {
    super('haproxy is not installed (Debian/Ubuntu: apt-get install -y haproxy)');
    this.name = 'HaproxyMissingError';
  }
}
