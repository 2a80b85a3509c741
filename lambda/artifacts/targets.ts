/**
 * A job's artifacts found by name ("the only one" when no name is given), with the S3
 * location the job gives them. Matched by name only: outputs are never taken by position.
 */
import type { Artifact, Job } from '../job/job.js';
import { ArtifactError, ArtifactNameError } from './errors.js';
import type { ArtifactTarget } from './s3-errors.js';

/** Artifact names CodePipeline accepts, which are also safe file names. */
const PLAIN_NAME = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The job's input or output artifact `name`, or its only one when `name` is undefined.
 *
 * @throws ArtifactNameError (ConfigurationError) listing the job's artifacts when there is no
 *   such name, or not exactly one artifact to take without a name
 */
export function resolveTarget(
  job: Job,
  kind: ArtifactTarget['kind'],
  name: string | undefined,
): ArtifactTarget {
  const artifacts = kind === 'input' ? job.inputArtifacts : job.outputArtifacts;
  const names = artifacts.map((artifact) => `"${artifact.name}"`).join(', ') || 'none';
  let artifact: Artifact | undefined;
  if (name === undefined) {
    if (artifacts.length !== 1) {
      throw new ArtifactNameError(
        `The job has ${artifacts.length} ${kind} artifacts (${names}): name the one to use`,
      );
    }
    artifact = artifacts[0];
  } else {
    artifact = artifacts.find((candidate) => candidate.name === name);
  }
  if (!artifact) {
    throw new ArtifactNameError(
      `The job has no ${kind} artifact "${name}" (its ${kind} artifacts: ${names})`,
      { artifactName: name },
    );
  }
  if (!artifact.bucketName || !artifact.objectKey) {
    throw new ArtifactError(
      'JobFailed',
      `The job gives no S3 location for its ${kind} artifact "${artifact.name}"`,
      { artifactName: artifact.name },
    );
  }
  return {
    kind,
    name: artifact.name,
    bucketName: artifact.bucketName,
    objectKey: artifact.objectKey,
  };
}

/** A file or directory name for an input: its own name when that is a plain one. */
export function localName(job: Job, target: ArtifactTarget): string {
  if (PLAIN_NAME.test(target.name)) return target.name;
  return `artifact-${job.inputArtifacts.findIndex((input) => input.name === target.name)}`;
}
