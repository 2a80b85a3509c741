/**
 * The worker's error family: every error the worker itself raises (its configuration, an
 * invocation event, the CodePipeline service, a job it cannot parse, an outcome the API would
 * refuse, a drain that could not finish) is a {@link JobWorkerError}, so a caller can tell the
 * worker's errors from anything else with one `instanceof`. A processor's own failure is
 * `JobFailureError` (the processor contract), and the artifact API has its family in
 * `codepipeline-job-worker/artifacts` (`ArtifactError`).
 */

/** The base of every error the worker raises; `cause` is kept. */
export class JobWorkerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobWorkerError';
  }
}
