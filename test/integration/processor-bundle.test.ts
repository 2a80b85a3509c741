/**
 * Whatever a processor imports bundles and runs with the worker's bundling: a worker whose
 * processor uses seven AWS SDK clients and the packages the bundle once replaced
 * (test/integration/fixtures/any-processor-handler.ts) is bundled with workerBundling, then
 * run in a fresh Node process as Lambda runs it, with the credentials in the environment.
 * CodePipeline and DynamoDB are the emulator and dynalite; every other service is a loopback
 * stand-in that checks each request's signature and answers it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLING_ROOT, esbuildOptions, workerBundling } from '../../lib/bundling.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import { labelledLine, lambdaRuntimeVariables, runWithBundle } from '../helpers/bundle-process.js';
import { scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import {
  type ReceivedRequest,
  type ServiceStandIn,
  type StandInAnswer,
  startServiceStandIn,
} from '../helpers/service-stand-in.js';

const ENTRY = 'test/integration/fixtures/any-processor-handler.ts';
/** The emulator verifies signatures made with this key; the stand-in does too. */
const CREDENTIALS = new Map([['local', 'local']]);
const SESSION_TOKEN = 'session-token-from-the-environment';

const json = (version: '1.0' | '1.1', body: unknown): StandInAnswer => ({
  status: 200,
  contentType: `application/x-amz-json-${version}`,
  body: JSON.stringify(body),
});

/** What each service answers to the one operation the processor calls on it. */
const ANSWERS: Record<string, (request: ReceivedRequest) => StandInAnswer | undefined> = {
  s3: (r) =>
    r.method === 'PUT' && r.url.split('?')[0] === '/artifacts/report.txt'
      ? { status: 200, headers: { etag: '"etag-of-report"' } }
      : undefined,
  secretsmanager: (r) =>
    r.operation === 'secretsmanager.GetSecretValue'
      ? json('1.1', { Name: 'token', SecretString: 'secret-value', VersionId: 'v1' })
      : undefined,
  ssm: (r) =>
    r.operation === 'AmazonSSM.GetParameter'
      ? json('1.1', { Parameter: { Name: '/app/flag', Type: 'String', Value: 'on', Version: 1 } })
      : undefined,
  sts: (r) =>
    r.operation === 'GetCallerIdentity'
      ? {
          status: 200,
          contentType: 'text/xml',
          body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/worker</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        }
      : undefined,
  states: (r) =>
    r.operation === 'AWSStepFunctions.StartExecution'
      ? json('1.0', {
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:deploy:1',
          startDate: 1_700_000_000,
        })
      : undefined,
  codebuild: (r) =>
    r.operation === 'CodeBuild_20161006.StartBuild'
      ? json('1.1', { build: { id: 'build:1', buildStatus: 'IN_PROGRESS' } })
      : undefined,
  ecs: (r) =>
    r.operation === 'AmazonEC2ContainerServiceV20141113.DescribeClusters'
      ? json('1.1', { clusters: [{ clusterName: 'default', status: 'ACTIVE' }], failures: [] })
      : undefined,
};

function answer(request: ReceivedRequest): StandInAnswer {
  return (
    ANSWERS[request.service]?.(request) ?? {
      status: 400,
      contentType: 'application/x-amz-json-1.1',
      body: JSON.stringify({ __type: 'UnknownOperationException', message: request.operation }),
    }
  );
}

let outdir: string;
beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-any-processor-'));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('a processor that brings its own packages into the bundle', () => {
  let stack: LocalStack;
  let services: ServiceStandIn;
  afterEach(async () => {
    await stack.close();
    await services.close();
  });

  it.each([
    ['with the substitutes the project proves', true],
    ['with every package as published', false],
  ])(
    'bundles and runs %s',
    async (_label, substitutes) => {
      stack = await startLocalStack();
      services = await startServiceStandIn(CREDENTIALS, answer);
      const jobId = stack.enqueue({ BakeTimeSeconds: '0' });
      setWorkerEnvironment(
        { codePipeline: stack.emulator.url, dynamoDb: stack.dynamo.endpoint },
        stack.tableName,
        { POWERTOOLS_TRACE_ENABLED: 'true', DEADLINE_MARGIN_MS: '2000' },
      );
      const file = path.join(outdir, String(substitutes), 'index.mjs');
      const options = esbuildOptions(
        workerBundling({ projectRoot: BUNDLING_ROOT, substitutes }),
        ENTRY,
        file,
      );
      await build(options);

      const { stdout } = await runWithBundle(
        file,
        `const summary = await handler(${JSON.stringify(scheduledEvent())}, context);
       process.stdout.write('\\nSUMMARY ' + JSON.stringify(summary) + '\\n');`,
        {
          ...process.env,
          ...lambdaRuntimeVariables(outdir),
          // Lambda's credentials are temporary: a session token comes with them.
          AWS_SESSION_TOKEN: SESSION_TOKEN,
          AWS_ENDPOINT_URL: services.url,
        },
      );

      expect(Object.keys(options.alias ?? {}).length > 0).toBe(substitutes);
      const job = stack.emulator.getJob(jobId);
      expect(job?.status, JSON.stringify(job?.results)).toBe('Succeeded');
      expect(labelledLine(stdout, 'SUMMARY')).toMatchObject({ succeeded: 1, failed: 0 });
      expect(job?.results[0]?.request).toMatchObject({
        outputVariables: {
          S3: '"etag-of-report"',
          ContextKeptAcrossCall: 'true',
          SecretsManager: 'secret-value',
          SSM: 'on',
          STS: '123456789012',
          StepFunctions: 'arn:aws:states:us-east-1:123456789012:execution:deploy:1',
          CodeBuild: 'IN_PROGRESS',
          ECS: 'default',
          DynamoDB: '1',
          Semver: 'true',
          XRaySegment: '## index.handler',
          Credentials: 'local refresh=false',
        },
      });
      // One request per client, each signed with the environment's credentials.
      expect(services.requests.map((r) => r.service).sort()).toEqual(
        ['codebuild', 'ecs', 'secretsmanager', 'ssm', 'states', 's3', 'sts'].sort(),
      );
      for (const request of services.requests) {
        expect(request.signature, request.service).toEqual({ accessKeyId: 'local' });
        expect(request.headers['x-amz-security-token'], request.service).toBe(SESSION_TOKEN);
      }
      const put = services.requests.find((r) => r.service === 's3');
      expect(put?.body.toString()).toBe('hello');
      expect(put?.headers['x-amz-checksum-crc32']).toBe(crc32Base64('hello'));
    },
    60_000,
  );
});

/** The CRC32 of `text`, big-endian, in base64: S3's `x-amz-checksum-crc32`. */
function crc32Base64(text: string): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(text));
  return bytes.toString('base64');
}
