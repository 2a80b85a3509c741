/**
 * The artifact API as a processor sees it.
 */
import type { Readable } from 'node:stream';
import type { OutputContents } from './output-contents.js';
import type { UploadResult } from './upload.js';

/** What every call that writes an output artifact accepts. */
export interface OutputWriteOptions {
  /**
   * Writes the output even when an earlier job of the same action execution (a continuation
   * before this one, or an earlier run of this job) already wrote it, replacing what that job
   * wrote. Without it such a write is refused with an `OutputArtifactError`. Within one job,
   * each output is written once whatever this says. @default false
   */
  readonly replace?: boolean;
}

/** The artifact API of one job; made by `jobArtifacts(job, context)`. */
export interface JobArtifacts {
  /** The job's input artifact names, in the job's order. */
  readonly inputNames: readonly string[];
  /** The job's output artifact names, in the job's order. */
  readonly outputNames: readonly string[];
  /**
   * An input artifact's object as a stream (at most `maxInputBytes`).
   *
   * @param name - the input's name; omitted, the job's only input
   */
  open(name?: string): Promise<Readable>;
  /**
   * Downloads an input artifact's object to a file under the job's work directory and
   * returns its path. Asked again, returns the same file.
   *
   * @param name - the input's name; omitted, the job's only input
   */
  download(name?: string): Promise<string>;
  /**
   * Downloads an input artifact and extracts it (a zip archive) into a directory of its own
   * under the job's work directory; returns the directory. Asked again, returns the same one.
   *
   * @param name - the input's name; omitted, the job's only input
   */
  extract(name?: string): Promise<string>;
  /**
   * Zips a directory's contents as it streams them to an output artifact. Every output is
   * written once in the action execution: a second write in the job is refused, and so is
   * a write, in a later job of the execution, of an output an earlier one wrote (unless
   * `replace`; asking S3 costs the later job one HeadObject per write).
   *
   * @param name - the output's name
   * @param directory - the directory whose contents become the archive's root
   */
  uploadDirectory(
    name: string,
    directory: string,
    options?: OutputWriteOptions & { readonly compress?: boolean },
  ): Promise<UploadResult>;
  /**
   * Uploads a file, as it is, to an output artifact.
   *
   * @param name - the output's name
   */
  uploadFile(
    name: string,
    file: string,
    options?: OutputWriteOptions & { readonly contentType?: string },
  ): Promise<UploadResult>;
  /**
   * Uploads a stream to an output artifact. It cannot be sent twice: prefer `uploadFile`
   * for long jobs, whose credentials may expire during the upload.
   *
   * @param name - the output's name
   */
  uploadStream(
    name: string,
    body: Readable,
    options?: OutputWriteOptions & { readonly contentType?: string },
  ): Promise<UploadResult>;
  /**
   * Writes a small output artifact given as a value: a JSON value (`output.json` in the
   * archive), a text (`output.txt`), or a map of files; zipped in memory and uploaded as
   * `uploadDirectory` uploads (KMS-encrypted, once).
   *
   * @param name - the output's name
   * @param contents - `{ json, path? }`, `{ text, path? }` or `{ files: { 'a/b.txt': '...' } }`
   * @example
   * await artifacts.writeOutput('BuildInfo', { json: { buildId, status } });
   */
  writeOutput(
    name: string,
    contents: OutputContents,
    options?: OutputWriteOptions,
  ): Promise<UploadResult>;
  /** Closes the S3 client's connections. Done for you when the job reports its outcome. */
  destroy(): void;
}
