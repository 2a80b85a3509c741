/**
 * The handler bundled exactly as the stack deploys it (lib/bundling.ts: minified, with the
 * substitutes of lambda/bundle/ in place of the packages they replace), run in a fresh Node
 * process with the variables Lambda sets, against the emulator and dynalite: what the tests
 * of the sources cannot see (a substitute that breaks the SDK, stack traces of the bundle).
 */
import { createSocket } from 'node:dgram';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLING_ROOT, esbuildOptions, workerBundling } from '../../lib/bundling.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import {
  lambdaRuntimeVariables,
  runWithBundle,
  TRACE_PARENT,
  TRACE_ROOT,
} from '../helpers/bundle-process.js';
import { scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';

let outdir: string;
let bundleFile: string;
const bundling = () => workerBundling({ projectRoot: BUNDLING_ROOT });

beforeAll(async () => {
  // Outside the project: the map's sources are then `../../<path of the project>/lambda/...`.
  outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-deployed-'));
  bundleFile = path.join(outdir, 'index.mjs');
  await build(esbuildOptions(bundling(), 'samples/handlers/bake-time-gate.ts', bundleFile));
}, 60_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the deployed bundle against the emulator and dynalite', () => {
  let stack: LocalStack;
  afterEach(() => stack.close());

  it('drains jobs with tracing on, with the credentials Lambda puts in the environment', async () => {
    stack = await startLocalStack();
    const good = [stack.enqueue({ BakeTimeSeconds: '0' }), stack.enqueue({ BakeTimeSeconds: '0' })];
    const bad = stack.enqueue({ BakeTimeSeconds: 'soon' });
    setWorkerEnvironment(
      { codePipeline: stack.emulator.url, dynamoDb: stack.dynamo.endpoint },
      stack.tableName,
      { POWERTOOLS_TRACE_ENABLED: 'true', DEADLINE_MARGIN_MS: '2000' },
    );

    const { stdout } = await runWithBundle(
      bundleFile,
      `const summary = await handler(${JSON.stringify(scheduledEvent())}, context);
       process.stdout.write('\\nSUMMARY ' + JSON.stringify(summary) + '\\n');`,
      { ...process.env, ...lambdaRuntimeVariables(outdir) },
    );

    const line = stdout.split('\n').find((text) => text.startsWith('SUMMARY '));
    expect(JSON.parse(line?.slice('SUMMARY '.length) ?? 'null')).toMatchObject({
      polled: 3,
      acknowledged: 3,
      succeeded: 2,
      failed: 1,
      ledgerErrors: 0,
    });
    for (const id of good) expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
    expect(stack.emulator.getJob(bad)?.status).toBe('Failed');
    expect(stack.emulator.getJob(bad)?.results[0]?.request).toMatchObject({
      failureDetails: { type: 'ConfigurationError' },
    });
  });
});

describe('stack traces of the deployed bundle', () => {
  const env = () => ({
    ...lambdaRuntimeVariables(outdir),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ACTION_CATEGORY: 'Test',
    ACTION_PROVIDER: 'BakeTimeGate',
    ACTION_VERSION: '1',
    LEDGER_TABLE_NAME: 'ledger',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  // An event the handler rejects: the error is thrown in lambda/events.ts.
  const rejected = `try { await handler({ unexpected: true }, context); } catch (error) {
    process.stdout.write('\\nSTACK ' + JSON.stringify({ stack: error.stack, mapsEnabled: process.sourceMapsEnabled }) + '\\n');
  }`;
  const stackOf = (stdout: string) =>
    JSON.parse(
      stdout
        .split('\n')
        .find((line) => line.startsWith('STACK '))
        ?.slice('STACK '.length) ?? 'null',
    ) as { stack: string; mapsEnabled: boolean };

  it('are mapped to the TypeScript sources without --enable-source-maps', async () => {
    const { stdout } = await runWithBundle(bundleFile, rejected, env());

    const { stack, mapsEnabled } = stackOf(stdout);
    expect(mapsEnabled).toBe(false);
    expect(stack).toMatch(/^InvalidEventError: Rejected invocation event/);
    expect(stack).toMatch(/\n {4}at parseTrigger \(lambda\/events\.ts:\d+:\d+\)/);
    // The event is checked by the Middy middleware, before the handler.
    expect(stack).toMatch(/\n {4}at \S+ \(lambda\/middleware\/trigger-validation\.ts:\d+:\d+\)/);
    expect(stack).not.toContain('index.mjs');
  });

  it('read the source map only when a trace is first printed, not at import', async () => {
    // The map moves away after the import: if the import had read it, the trace would be mapped.
    const copy = mkdtempSync(path.join(tmpdir(), 'job-worker-lazy-map-'));
    try {
      const file = path.join(copy, 'index.mjs');
      copyFileSync(bundleFile, file);
      copyFileSync(`${bundleFile}.map`, `${file}.map`);
      const moveMap = `(await import('node:fs')).renameSync(${JSON.stringify(`${file}.map`)}, ${JSON.stringify(`${file}.map.moved`)});`;

      const { stdout } = await runWithBundle(file, `${moveMap}\n${rejected}`, env());

      const { stack } = stackOf(stdout);
      expect(stack).toMatch(/^InvalidEventError: Rejected invocation event/);
      expect(stack).toContain(`${pathToFileURL(file).href}:`);
      expect(stack).not.toContain('lambda/events.ts');

      // With the map back in place, a fresh process maps the same trace.
      renameSync(`${file}.map.moved`, `${file}.map`);
      expect(stackOf((await runWithBundle(file, rejected, env())).stdout).stack).toContain(
        'lambda/events.ts',
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('are left as they are when the map cannot be read', async () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'job-worker-bad-map-'));
    try {
      const file = path.join(copy, 'index.mjs');
      copyFileSync(bundleFile, file);
      // A truncated map: JSON that does not parse.
      writeFileSync(`${file}.map`, readFileSync(`${bundleFile}.map`, 'utf8').slice(0, 100));

      const { stack } = stackOf((await runWithBundle(file, rejected, env())).stdout);

      expect(stack).toMatch(/^InvalidEventError: Rejected invocation event/);
      expect(stack).toContain(`${pathToFileURL(file).href}:`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

/** An X-Ray daemon stand-in: the segment documents sent to it over UDP. */
async function xrayDaemon() {
  const socket = createSocket('udp4');
  const documents: Record<string, unknown>[] = [];
  socket.on('message', (message) => {
    // A header line ({"format":"json","version":1}), then the document.
    const body = message.toString('utf8').split('\n').slice(1).join('\n');
    documents.push(JSON.parse(body) as Record<string, unknown>);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    documents,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A document without what differs from run to run: ids and times. */
function shape(document: unknown): unknown {
  if (Array.isArray(document)) return document.map(shape);
  if (!document || typeof document !== 'object') return document;
  return Object.fromEntries(
    Object.entries(document)
      .filter(([key]) => !['id', 'start_time', 'end_time'].includes(key))
      .map(([key, value]) => [key, shape(value)]),
  );
}

describe('X-Ray traces of the deployed bundle', () => {
  let stack: LocalStack;
  afterEach(() => stack.close());

  /** `entry` bundled as deployed, and again with the real cls-hooked instead of its substitute. */
  async function bundlePair(entry: string, name: string) {
    const deployed = path.join(outdir, name, 'index.mjs');
    const withClsHooked = path.join(outdir, `${name}-cls-hooked`, 'index.mjs');
    const options = esbuildOptions(bundling(), entry, deployed);
    expect(options.alias).toHaveProperty('cls-hooked/context');
    await build(options);
    await build({
      ...options,
      outfile: withClsHooked,
      alias: Object.fromEntries(
        Object.entries(options.alias ?? {}).filter(([alias]) => !alias.startsWith('cls-hooked')),
      ),
    });
    return { deployed, 'cls-hooked': withClsHooked };
  }

  /** One invocation of each bundle, `jobs` jobs queued before each; the documents sent. */
  async function traces(bundles: Record<string, string>, jobs: number) {
    setWorkerEnvironment(
      { codePipeline: stack.emulator.url, dynamoDb: stack.dynamo.endpoint },
      stack.tableName,
      { POWERTOOLS_TRACE_ENABLED: 'true', DEADLINE_MARGIN_MS: '2000' },
    );
    const sent: Record<string, Record<string, unknown>[]> = {};
    for (const [label, file] of Object.entries(bundles)) {
      for (let i = 0; i < jobs; i++) stack.enqueue({ BakeTimeSeconds: '0' });
      const daemon = await xrayDaemon();
      try {
        await runWithBundle(
          file,
          `await handler(${JSON.stringify(scheduledEvent())}, context);
           await new Promise((resolve) => setTimeout(resolve, 100));`,
          { ...process.env, ...lambdaRuntimeVariables(path.dirname(file), daemon.address) },
        );
      } finally {
        await daemon.close();
      }
      sent[label] = daemon.documents;
    }
    return sent;
  }

  /**
   * Documents in a stable order, without what differs from run to run; a parent sent in the
   * same run is named instead of given by its (random) id.
   */
  const shapes = (documents: readonly Record<string, unknown>[] = []) => {
    const names = new Map(documents.map((d) => [d.id, `<${String(d.name)}>`]));
    return documents
      .map((d) => JSON.stringify(shape({ ...d, parent_id: names.get(d.parent_id) ?? d.parent_id })))
      .sort();
  };

  it('are those the real cls-hooked gives, with its AsyncLocalStorage namespace', async () => {
    stack = await startLocalStack();

    const sent = await traces(await bundlePair('samples/handlers/bake-time-gate.ts', 'handler'), 1);

    const [handler] = sent.deployed ?? [];
    expect(sent.deployed).toHaveLength(1);
    expect(handler).toMatchObject({
      name: '## index.handler',
      type: 'subsegment',
      trace_id: TRACE_ROOT,
      parent_id: TRACE_PARENT,
      annotations: { ColdStart: true, Service: 'codepipeline-job-worker' },
      metadata: { 'codepipeline-job-worker': { 'index.handler response': { succeeded: 1 } } },
    });
    expect(shapes(sent.deployed)).toEqual(shapes(sent['cls-hooked']));
  });

  it('keep each job in its own subsegment across awaits while jobs run at once', async () => {
    stack = await startLocalStack();
    const jobs = 6;

    const sent = await traces(
      await bundlePair('test/integration/fixtures/traced-processor-handler.ts', 'traced'),
      jobs,
    );

    const deployed = sent.deployed ?? [];
    const handler = deployed.find((d) => d.name === '## index.handler');
    const processing = deployed.filter((d) => d.name === '### process');
    expect(handler).toBeDefined();
    expect(processing).toHaveLength(jobs);
    for (const subsegment of processing) {
      expect(subsegment).toMatchObject({
        parent_id: handler?.id,
        trace_id: TRACE_ROOT,
        annotations: { ownSubsegmentBeforeAwait: true, ownSubsegmentAfterAwait: true },
      });
    }
    expect(shapes(deployed)).toEqual(shapes(sent['cls-hooked']));
  });
});
