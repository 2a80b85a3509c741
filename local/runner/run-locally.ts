/**
 * A processor end to end on one machine, as `npm start` runs the sample: the CodePipeline
 * emulator, its artifact store (a local S3) and dynalite on loopback, the action type
 * registered through the real AWS SDK, the ledger table created from the contract's schema,
 * the jobs queued (their input artifacts written to the store), and the real Lambda handler
 * invoked as the schedule would invoke it until every job is finished.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CodePipelineClient,
  CreateCustomActionTypeCommand,
  PollForJobsCommand,
} from '@aws-sdk/client-codepipeline';
import { STOP_EVENT_STATES } from '../../lambda/contract.js';
import { createJobWorkerHandler } from '../../lambda/create-handler.js';
import { REDACTED } from '../../lambda/job/secret.js';
import { displayText } from '../../lambda/worker/safe-text.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import { type LocalDynamoDb, startDynalite } from '../dynamodb.js';
import { EmulatorInputError, type RunningEmulator, startEmulator } from '../emulator/index.js';
import { jobChain } from '../job-chain.js';
import { localContext, scheduledEvent } from '../lambda-runtime.js';
import { captureLogs } from '../log-capture.js';
import { type RunningS3Server, startS3Server } from '../s3/index.js';
import { importStandIns, standInsFile } from '../stand-ins/load.js';
import { type StandInServer, startStandIns } from '../stand-ins/server.js';
import type { StandIns } from '../stand-ins/types.js';
import { checkAgainRuns, processorStarts, reportJob, runTotals, settled } from './job-report.js';
import { entryFile, importEntryHandler, type LambdaHandler } from './load-handler.js';
import type { LocalJob, LocalJobStop, LocalRunResult, RunLocallyOptions } from './options.js';
import { actionTypeDefaults, checkPlan, expandJobs, LocalRunPlanError } from './plan.js';
import { isStopEventFor, ScheduledStops } from './stop-schedule.js';
import { runProblems, undecidedJobs } from './verdict.js';
import { withEnvironment, workerEnvironment } from './worker-environment.js';

/** The longest a job's message is in the report. */
const MESSAGE_LENGTH = 200;

/** How long an unacknowledged dispatch waits before the emulator queues the job again. */
const DISPATCH_TIMEOUT_MS = 3_000;
let runs = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The servers of one run; each is stopped by `close`, whichever were started. */
class LocalServers {
  artifactStore?: RunningS3Server;
  emulator?: RunningEmulator;
  dynamo?: LocalDynamoDb;
  otherServices?: StandInServer;
  client?: CodePipelineClient;

  async start(standIns: StandIns): Promise<Required<Omit<LocalServers, 'start' | 'close'>>> {
    this.artifactStore = await startS3Server();
    this.emulator = await startEmulator({
      dispatchTimeoutMs: DISPATCH_TIMEOUT_MS,
      faults: { seed: 7 },
      artifactStore: this.artifactStore,
    });
    this.dynamo = await startDynalite();
    this.otherServices = await startStandIns(standIns);
    this.client = new CodePipelineClient({
      endpoint: this.emulator.url,
      region: this.emulator.region,
      credentials: this.emulator.credentials,
    });
    const { artifactStore, emulator, dynamo, otherServices, client } = this;
    return { artifactStore, emulator, dynamo, otherServices, client };
  }

  async close(): Promise<void> {
    this.client?.destroy();
    const stopping = [this.emulator?.close(), this.dynamo?.close(), this.otherServices?.close()];
    const failures = (await Promise.allSettled(stopping)).filter((s) => s.status === 'rejected');
    // The store last: the emulator revokes the jobs' credentials in it as it closes.
    const store = await Promise.allSettled([this.artifactStore?.close()]);
    failures.push(...store.filter((s) => s.status === 'rejected'));
    if (failures.length > 0) throw (failures[0] as PromiseRejectedResult).reason;
  }
}

type ActionTypeDefaults = ReturnType<typeof actionTypeDefaults>;

/** The four fields that identify the action type, and nothing else of it. */
function idOf(type: ActionTypeDefaults) {
  return {
    owner: type.owner,
    category: type.category,
    provider: type.provider,
    version: type.version,
  };
}

function enqueueInput(job: LocalJob, actionType: ActionTypeDefaults) {
  const context = job.pipelineContext;
  return {
    actionTypeId: idOf(actionType),
    configuration: { ...job.configuration },
    ...(job.continuationToken !== undefined ? { continuationToken: job.continuationToken } : {}),
    ...(context
      ? {
          pipelineContext: {
            pipelineName: context.pipelineName,
            stage: { name: context.stageName },
            action: { name: context.actionName },
          },
        }
      : {}),
    ...(job.inputArtifacts ? { inputArtifacts: job.inputArtifacts.map((a) => ({ ...a })) } : {}),
    ...(job.outputArtifacts ? { outputArtifacts: job.outputArtifacts.map((a) => ({ ...a })) } : {}),
  };
}

/** What the emulator refuses of a job (CodePipeline would too), named by the job. */
function refused(error: unknown, planIndex: number): unknown {
  if (!(error instanceof EmulatorInputError)) return error;
  return new LocalRunPlanError('runLocally options', [`jobs[${planIndex}]: ${error.message}`]);
}

/** Queues one job, once its input artifacts are in the store. */
async function enqueue(
  emulator: RunningEmulator,
  entry: { job: LocalJob; planIndex: number },
  actionType: ActionTypeDefaults,
): Promise<string> {
  try {
    const jobId = emulator.enqueueJob(enqueueInput(entry.job, actionType));
    await emulator.whenQueued(jobId);
    return jobId;
  } catch (error) {
    throw refused(error, entry.planIndex);
  }
}

/**
 * Runs a processor (or an entry file's handler) end to end through the local CodePipeline
 * emulator and a local DynamoDB (dynalite), exactly as `npm start` runs the sample, and
 * reports what happened to every job. Creates everything it needs, stops every server it
 * started (also when it throws), and leaves `process.env` as it found it.
 *
 * The processor's own AWS calls go to a loopback server that answers them from
 * `options.standIns` and refuses the rest; the result's `ok` is false when a call was refused,
 * a processor threw (anything but `JobFailureError`) or a job did not end as its `expect` says,
 * and `problems` says why.
 *
 * A job's `stop` stops its execution during its chain (see {@link LocalJobStop}); when a job
 * has one, every ABANDONED, CANCELED and FAILED action execution event of the action type is
 * also handed to the handler, asynchronously, as EventBridge would (`deliverStopEvents`).
 *
 * @param options - the action type, the jobs, the stand-ins, and the processor or entry to run
 * @throws LocalRunPlanError naming every wrong field of the plan (or of the stand-ins module),
 * before anything starts
 * @throws EntryError when the entry does not exist (before anything starts), cannot be
 * imported, or has no handler export
 * @example
 * const result = await runLocally({
 *   processor: securityScan(),
 *   actionType: { category: 'Test', provider: 'SecurityScan' },
 *   jobs: [{ configuration: { MaxSizeMB: '10' }, repeat: 3 }],
 * });
 * expect(result.ok).toBe(true);
 * expect(result.jobs.map((job) => job.outcome)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
 */
export async function runLocally(options: RunLocallyOptions): Promise<LocalRunResult> {
  checkPlan(options, 'runLocally options', false);
  if ((options.processor === undefined) === (options.entry === undefined)) {
    throw new TypeError('runLocally needs exactly one of processor and entry');
  }
  // A missing entry is named before any server starts; its handler export once it is loaded.
  if (options.entry !== undefined) entryFile(options.entry);
  if (typeof options.standIns === 'string') standInsFile(options.standIns);
  const standIns =
    typeof options.standIns === 'string'
      ? await importStandIns(options.standIns)
      : (options.standIns ?? {});
  const started = Date.now();
  const actionType = actionTypeDefaults(options.actionType);
  const servers = new LocalServers();
  try {
    const { artifactStore, emulator, dynamo, otherServices, client } =
      await servers.start(standIns);
    await client.send(
      new CreateCustomActionTypeCommand({
        category: actionType.category,
        provider: actionType.provider,
        version: actionType.version,
        configurationProperties: actionType.configurationProperties,
        inputArtifactDetails: actionType.inputArtifacts,
        outputArtifactDetails: actionType.outputArtifacts,
      }),
    );
    // Abandoned dispatches first, so that the poll of the crashing poller takes them alone.
    const planned = expandJobs(options.jobs).map((entry, index) => ({ ...entry, index }));
    const abandoned = planned.filter(({ job }) => job.firstDispatchAbandoned === true);
    const queued: ((typeof planned)[number] & { jobId: string })[] = [];
    for (const entry of [
      ...abandoned,
      ...planned.filter(({ job }) => !job.firstDispatchAbandoned),
    ]) {
      queued.push({ ...entry, jobId: await enqueue(emulator, entry, actionType) });
    }
    if (abandoned.length > 0) {
      await client.send(
        new PollForJobsCommand({ actionTypeId: idOf(actionType), maxBatchSize: abandoned.length }),
      );
    }
    queued.sort((a, b) => a.index - b.index);
    // From now on, some dispatches are handed to two pollers at once.
    emulator.setFaults({ duplicateRate: options.duplicateRate ?? 0.3 });
    const tableName = await dynamo.createLedgerTable();
    const environment = {
      ...workerEnvironment({
        endpoints: {
          codePipeline: emulator.url,
          dynamoDb: dynamo.endpoint,
          otherServices: otherServices.url,
          s3: artifactStore.endpoint,
        },
        actionType,
        tableName,
        secretKeys: actionType.configurationProperties.filter((p) => p.secret).map((p) => p.name),
      }),
      ...otherServices.environment,
      ...options.env,
    };
    const logs = captureLogs(
      options.logFile ?? join(tmpdir(), `codepipeline-job-worker-${process.pid}-${++runs}.log`),
    );
    return await withEnvironment(environment, async () => {
      const handler: LambdaHandler = options.entry
        ? await importEntryHandler(options.entry, options.handler ?? 'handler')
        : (createJobWorkerHandler(
            options.processor as NonNullable<typeof options.processor>,
          ) as LambdaHandler);
      let invocations = 0;
      let failedInvocations = 0;
      let duplicatesSkipped = 0;
      const invocationErrors = new Set<string>();
      /** Counts one invocation's outcome; true when it failed. */
      const count = (outcome: PromiseSettledResult<unknown>): boolean => {
        if (outcome.status === 'fulfilled') {
          duplicatesSkipped += (outcome.value as { duplicates?: number }).duplicates ?? 0;
          return false;
        }
        failedInvocations++;
        invocationErrors.add(String((outcome.reason as Error)?.message ?? outcome.reason));
        return true;
      };
      const invocationTimeoutMs = options.invocationTimeoutMs ?? 60_000;
      const stops = new ScheduledStops(
        emulator,
        queued.map(({ jobId, job }) => ({ jobId, ...(job.stop ? { stop: job.stop } : {}) })),
      );
      const stopEvents = { delivered: 0, failed: 0 };
      const deliveries = new Set<Promise<void>>();
      const deliver = options.deliverStopEvents ?? true;
      // As EventBridge would: an asynchronous invoke per event, alongside the rounds.
      const stopListening = deliver
        ? emulator.onEvent((event) => {
            if (!isStopEventFor(event, actionType, STOP_EVENT_STATES)) return;
            invocations++;
            stopEvents.delivered++;
            const delivery = logs
              .around(async () => {
                await sleep(0);
                return handler(event, localContext(invocationTimeoutMs));
              })
              .then(
                (value) => count({ status: 'fulfilled', value }),
                (reason: unknown) => count({ status: 'rejected', reason }),
              )
              .then((failed) => {
                if (failed) stopEvents.failed++;
                deliveries.delete(delivery);
              });
            deliveries.add(delivery);
          })
        : () => undefined;
      const unfinished = () =>
        queued.filter(({ jobId, job }) => {
          const chain = jobChain(emulator, jobId);
          return !settled(chain.at(-1)?.status ?? '', chain.length - 1, job.expect);
        });
      const timeLimitMs = options.timeLimitMs ?? 120_000;
      for (let tick = 1; unfinished().length > 0 && Date.now() - started < timeLimitMs; tick++) {
        const outcomes = await logs.around(() =>
          Promise.allSettled(
            Array.from({ length: options.pollers ?? 2 }, () => {
              invocations++;
              return handler(scheduledEvent(), localContext(invocationTimeoutMs));
            }),
          ),
        );
        for (const outcome of outcomes) count(outcome);
        options.onProgress?.({
          tick,
          finished: queued.length - unfinished().length,
          total: queued.length,
          elapsedMs: Date.now() - started,
        });
        if (unfinished().length > 0) await sleep(options.tickMs ?? 500);
      }
      stopListening();
      stops.close();
      while (deliveries.size > 0) await Promise.all([...deliveries]);
      const logText = logs.text();
      const starts = processorStarts(logText);
      const undecided = undecidedJobs(logText);
      // Printed on the terminal: no secret value the emulator handed out may show there.
      const secrets = emulator.secrets().values.filter((value) => value);
      const scrubber = new SecretScrubber();
      scrubber.hold(secrets);
      // The scrubber knows a value's encoded forms; values too short for it are replaced as
      // they are.
      const clean = (text: string) =>
        secrets.reduce(
          (scrubbed, secret) => scrubbed.replaceAll(secret, REDACTED),
          scrubber.scrub(text),
        );
      const display = (text: string) => displayText(clean(text), MESSAGE_LENGTH);
      const jobs = await Promise.all(
        queued.map(({ jobId, name, job }) =>
          reportJob(emulator, jobId, name, starts, {
            expect: job.expect,
            undecided,
            display,
            stop: stops.report(jobId),
          }),
        ),
      );
      const totals = runTotals(
        emulator,
        jobs,
        {
          duplicatesSkipped,
          invocations,
          failedInvocations,
          secretsInLogs: logs.countLinesWith(emulator.secrets().values),
          seconds: (Date.now() - started) / 1000,
        },
        starts,
        checkAgainRuns(logText),
      );
      const failures = [...otherServices.failures];
      const problems = runProblems(jobs, totals, failures).map(clean);
      return {
        jobs,
        totals,
        logFile: logs.path,
        invocationErrors: [...invocationErrors].map(clean),
        stopEvents,
        standIns: { calls: [...otherServices.calls], failures },
        problems,
        ok: problems.length === 0,
      };
    });
  } finally {
    await servers.close();
  }
}
