/**
 * Why a run could not be executed. Server-side refusals (rate_limited, ...) are
 * not errors of the harness: they are counted in the report by their wire code.
 */
export type LoadTestErrorCode =
  | 'bad_options' // flags or scenario file invalid
  | 'unreachable' // no client could create a session or connect
  | 'worker_failed' // a load worker crashed or stopped answering
  | 'aborted'; // the caller aborted the run

export class LoadTestError extends Error {
  constructor(
    readonly code: LoadTestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LoadTestError';
  }
}
