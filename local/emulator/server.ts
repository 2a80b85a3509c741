import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionExecutionEvent } from './action-events.js';
import { handleAdmin } from './admin.js';
import { handleApi, type RequestLogEntry } from './api.js';
import type { ArtifactStore, OutputView } from './artifact-store.js';
import type { FaultConfig, StatsView } from './faults.js';
import type { EnqueueJobInput } from './job-data.js';
import type { JobEvent } from './job-store.js';
import { apiErrors, readBody, sendJson } from './protocol.js';
import type { SecretsView } from './secrets.js';
import type { SigV4Settings } from './sigv4.js';
import { type EmulatorSettings, EmulatorState, resolveFaults } from './state.js';
import type { ActionType, CustomActionTypeInput } from './types.js';
import { type JobSummary, type JobView, jobSummaries, jobView } from './views.js';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Options of `startEmulator`; all optional. */
export interface EmulatorOptions extends Partial<Omit<EmulatorSettings, 'faults'>> {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Access keys whose signatures are fully verified. @default [{ accessKeyId: 'local', secretAccessKey: 'local' }] */
  credentials?: EmulatorCredentials[];
  /** Refuse access keys not in `credentials` (UnrecognizedClientException). @default false */
  strictSignatures?: boolean;
  /** Allowed distance between X-Amz-Date and real time. @default 900000 (15 min) */
  maxClockSkewMs?: number;
  /** Initial fault injection (also restored by reset). @default no faults, seed 1 */
  faults?: Partial<FaultConfig>;
  /** Called after every API call (not admin calls); bodies are never included. */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * An S3-compatible store for the jobs' artifacts, started by the caller (who closes it after
   * the emulator): `await startS3Server()` from `local/s3`. The emulator creates the artifact
   * bucket in it, writes each job's input artifacts there before queuing the job, registers
   * the artifact credentials it hands out (and revokes them when the job ends, on reset and on
   * close), and gives each pipeline a KMS key ARN. Point the worker's S3 client at its
   * `endpoint` (`AWS_ENDPOINT_URL_S3`).
   * @default none: artifact locations point at nothing and credentials are never checked
   */
  artifactStore?: ArtifactStore;
}

/** A started emulator: its address, and an in-process handle on its state. */
export interface RunningEmulator {
  /** `http://host:port`: pass it as the SDK client's `endpoint`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly accountId: string;
  readonly region: string;
  /** The first configured credentials: sign with these to have signatures verified. */
  readonly credentials: EmulatorCredentials;
  close(): Promise<void>;
  /** Registers a custom action type, as CreateCustomActionType would. */
  createActionType(input: CustomActionTypeInput): ActionType;
  /** The artifact bucket in the artifact store; undefined without one. */
  readonly artifactBucket: string | undefined;
  /**
   * Queues a job for a registered custom action type; returns the job id. With an artifact
   * store, a job whose input artifacts must be written stays Created (no poll hands it out)
   * until they are: await `whenQueued(jobId)` before polling for it.
   */
  enqueueJob(input: EnqueueJobInput): string;
  /**
   * Resolves once the job is queued (its input artifacts in the store), at once for a job that
   * never waited; rejects with the store's error when its inputs could not be written.
   */
  whenQueued(jobId: string): Promise<void>;
  /**
   * What a job uploaded to its output artifact `name`: the object's size, digest and zip
   * entries, and every upload request with the encryption headers it was sent with.
   * @throws EmulatorInputError without an artifact store, or for an unknown job or output
   */
  jobOutput(jobId: string, name: string): Promise<OutputView>;
  /**
   * The bytes a job uploaded to its output `name`, or those of the file `entryPath` of that
   * zip archive.
   * @throws EmulatorInputError when nothing (or no such file) was uploaded
   */
  jobOutputBytes(jobId: string, name: string, entryPath?: string): Promise<Buffer>;
  getJob(jobId: string): JobView | undefined;
  listJobs(): JobSummary[];
  /**
   * StopPipelineExecution. With `abandon: true` every unfinished job of the execution ends at
   * once (status Failed, `stopped.how` abandoned: AcknowledgeJob answers Failed, reports are
   * refused with InvalidJobStateException, a queued continuation is never handed out) and an
   * ABANDONED event is emitted per action execution; without, its action executions go on to
   * their end (continuations included) and the execution starts no new action.
   * @throws EmulatorInputError 404 for an unknown execution; 409 when it has ended, or was
   * already stopped so (a stop without abandon may be followed by one with)
   */
  stopExecution(
    pipelineExecutionId: string,
    options?: { abandon?: boolean; reason?: string },
  ): void;
  /**
   * A newer execution superseded this one: as a stop with abandon, but `canceled`, with a
   * CANCELED event per action execution.
   * @throws EmulatorInputError as `stopExecution`
   */
  supersedeExecution(pipelineExecutionId: string): void;
  /**
   * The action execution times out now, as the action timeout would make it: its unfinished job
   * becomes TimedOut (a queued continuation too) and a FAILED event is emitted.
   * @throws EmulatorInputError 404 for an unknown action execution, 409 for one that has ended
   */
  timeOutAction(actionExecutionId: string): void;
  /** Every action execution event emitted since start (or reset), in EventBridge's shape. */
  events(): ActionExecutionEvent[];
  /**
   * Calls `listener` with each action execution event from now on, synchronously (before the
   * call that caused it is answered); returns what unsubscribes it.
   */
  onEvent(listener: (event: ActionExecutionEvent) => void): () => void;
  /**
   * Calls `listener` with each job lifecycle event from now on (a job created, dispatched,
   * acknowledged, reported, stopped), synchronously; returns what unsubscribes it.
   */
  onJobEvent(listener: (jobId: string, event: JobEvent) => void): () => void;
  faults(): FaultConfig;
  /** Changes fault injection at runtime (partial); returns the whole configuration. */
  setFaults(patch: Partial<FaultConfig>): FaultConfig;
  stats(): StatsView;
  secrets(): SecretsView;
  /** Moves the job clock forward (on top of the injected `now`). */
  advanceTime(ms: number): void;
  /** The job clock, epoch ms. */
  now(): number;
  /** Drops jobs, events, stats, secrets and custom types; restores initial types, faults and clock. */
  reset(): void;
}

function settingsFrom(options: EmulatorOptions): EmulatorSettings {
  return {
    accountId: options.accountId ?? '123456789012',
    region: options.region ?? 'us-east-1',
    now: options.now ?? Date.now,
    dispatchTimeoutMs: options.dispatchTimeoutMs ?? 30_000,
    actionTimeoutMs: options.actionTimeoutMs ?? 24 * 60 * 60 * 1000,
    actionTypes: options.actionTypes ?? [],
    faults: resolveFaults(options.faults),
    ...(options.artifactStore ? { artifactStore: options.artifactStore } : {}),
  };
}

/**
 * Starts the CodePipeline job-worker API emulator (AWS JSON 1.1 on `POST /`, admin API under
 * `/emulator/`).
 * @param options - see {@link EmulatorOptions}
 * @example
 * const emulator = await startEmulator({ now: () => clock });
 * // with real artifacts: const s3 = await startS3Server();
 * // const emulator = await startEmulator({ artifactStore: s3 }); ... await s3.close();
 * const client = new CodePipelineClient({
 *   endpoint: emulator.url, region: 'us-east-1', credentials: emulator.credentials,
 * });
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(settingsFrom(options));
  await state.artifacts?.open();
  const credentials = options.credentials ?? [{ accessKeyId: 'local', secretAccessKey: 'local' }];
  const auth: SigV4Settings = {
    service: 'codepipeline',
    credentials: new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey])),
    strict: options.strictSignatures ?? false,
    maxClockSkewMs: options.maxClockSkewMs ?? 15 * 60 * 1000,
    now: Date.now,
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      sendJson(res, 413, { __type: 'RequestEntityTooLargeException', message: 'Body too large' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/emulator' || path?.startsWith('/emulator/')) {
      await handleAdmin(req, res, body, state);
    } else if (req.method !== 'POST' || path !== '/') {
      const error = apiErrors.unknownOperation(
        'The API is POST / with X-Amz-Target; the admin API is under /emulator/',
        404,
      );
      sendJson(res, 404, error.body());
    } else {
      await handleApi(req, res, body, state, auth, options.onRequest);
    }
  };
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else
        sendJson(res, 500, { error: 'EmulatorError', message: String(error) }, 'application/json');
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    accountId: state.settings.accountId,
    region: state.settings.region,
    credentials: credentials[0] ?? { accessKeyId: 'local', secretAccessKey: 'local' },
    artifactBucket: state.artifacts?.bucketName,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The store's key registry outlives the emulator: nothing it handed out stays valid.
        state.artifacts?.revokeAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    createActionType: (input) => state.createActionType(input),
    enqueueJob: (input) => state.enqueueJob(input),
    whenQueued: (jobId) => state.whenQueued(jobId),
    jobOutput: (jobId, name) => state.jobOutput(jobId, name),
    jobOutputBytes: (jobId, name, entryPath) => state.jobOutputBytes(jobId, name, entryPath),
    getJob: (jobId) => jobView(state.store, state.settings.accountId, jobId),
    listJobs: () => jobSummaries(state.store),
    stopExecution: (id, stopOptions = {}) =>
      state.stopExecution(
        id,
        stopOptions.abandon === true ? 'abandon' : 'wait',
        stopOptions.reason,
      ),
    supersedeExecution: (id) => state.stopExecution(id, 'supersede'),
    timeOutAction: (id) => state.store.timeOutAction(id),
    events: () => state.events.list(),
    onEvent: (listener) => state.events.listen(listener),
    onJobEvent: (listener) => state.onJobEvent(listener),
    faults: () => state.faults.current,
    setFaults: (patch) => state.faults.configure(patch),
    stats: () => state.stats.snapshot(),
    secrets: () => state.secrets.view(),
    advanceTime: (ms) => state.advanceTime(ms),
    now: () => state.now(),
    reset: () => state.reset(),
  };
}
