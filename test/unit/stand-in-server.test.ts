/**
 * The stand-in server of local runs, spoken to by the real SDK v3 clients: the JSON protocols
 * answered from handlers, the services' exceptions raised as their classes, and every call
 * nothing stands in for refused and recorded with the variable that would point it elsewhere.
 */
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  InvalidInputException,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type StandInServer,
  standInProblems,
  startStandIns,
} from '../../local/stand-ins/server.js';
import { endpointVariable } from '../../local/stand-ins/services.js';
import { type StandIns, standInError } from '../../local/stand-ins/types.js';

const CLIENT = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
} as const;

let server: StandInServer | undefined;
const clients: { destroy(): void }[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await server?.close();
  server = undefined;
});

async function start(standIns: StandIns) {
  server = await startStandIns(standIns);
  return server;
}

function client<T extends { destroy(): void }>(make: (endpoint: string) => T): T {
  const made = make(server?.url ?? '');
  clients.push(made);
  return made;
}

/** A CodeBuild stand-in: builds kept in the run's state, each in progress until asked twice. */
const codebuild: StandIns['codebuild'] = {
  StartBuild: (input, { state }) => {
    state.builds ??= new Map<string, number>();
    const builds = state.builds as Map<string, number>;
    const id = `${String(input.projectName)}:${builds.size + 1}`;
    builds.set(id, 0);
    return { build: { id, buildStatus: 'IN_PROGRESS', startTime: new Date(1_700_000_000_000) } };
  },
  BatchGetBuilds: (input, { state }) => {
    const builds = (state.builds ?? new Map()) as Map<string, number>;
    const ids = input.ids as string[];
    const unknown = ids.filter((id) => !builds.has(id));
    if (unknown.length > 0) throw standInError('InvalidInputException', `no build ${unknown}`);
    return {
      builds: ids.map((id) => {
        const asked = (builds.get(id) ?? 0) + 1;
        builds.set(id, asked);
        return { id, buildStatus: asked >= 2 ? 'SUCCEEDED' : 'IN_PROGRESS' };
      }),
    };
  },
};

describe('startStandIns', () => {
  it('answers CodeBuild StartBuild and BatchGetBuilds from handlers, with state per server, and records every call', async () => {
    await start({ codebuild });
    const codeBuild = client((endpoint) => new CodeBuildClient({ ...CLIENT, endpoint }));

    const started = await codeBuild.send(new StartBuildCommand({ projectName: 'app' }));
    const first = await codeBuild.send(new BatchGetBuildsCommand({ ids: ['app:1'] }));
    const second = await codeBuild.send(new BatchGetBuildsCommand({ ids: ['app:1'] }));

    expect(started.build?.id).toBe('app:1');
    expect(started.build?.startTime).toEqual(new Date(1_700_000_000_000));
    expect(first.builds?.[0]?.buildStatus).toBe('IN_PROGRESS');
    expect(second.builds?.[0]?.buildStatus).toBe('SUCCEEDED');
    expect(server?.calls.map((c) => [c.service, c.operation, c.input])).toEqual([
      ['codebuild', 'StartBuild', { projectName: 'app' }],
      ['codebuild', 'BatchGetBuilds', { ids: ['app:1'] }],
      ['codebuild', 'BatchGetBuilds', { ids: ['app:1'] }],
    ]);
    expect(server?.calls[2]?.output).toEqual({
      builds: [{ id: 'app:1', buildStatus: 'SUCCEEDED' }],
    });
    expect(server?.failures).toEqual([]);

    // A second server starts from empty state.
    await server?.close();
    await start({ codebuild });
    const fresh = client((endpoint) => new CodeBuildClient({ ...CLIENT, endpoint }));
    const again = await fresh.send(new StartBuildCommand({ projectName: 'app' }));
    expect(again.build?.id).toBe('app:1');
  });

  it('answers Step Functions (awsJson1_0) StartExecution and DescribeExecution', async () => {
    await start({
      sfn: {
        StartExecution: (input) => ({
          executionArn: `${String(input.stateMachineArn)}:run-1`,
          startDate: new Date(1_700_000_000_000),
        }),
        DescribeExecution: (input) => ({
          executionArn: input.executionArn,
          stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
          status: 'SUCCEEDED',
          startDate: new Date(1_700_000_000_000),
          output: '{"ok":true}',
        }),
      },
    });
    const sfn = client((endpoint) => new SFNClient({ ...CLIENT, endpoint }));

    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: 'arn:m', input: '{}' }),
    );
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn }),
    );

    expect(started).toMatchObject({
      executionArn: 'arn:m:run-1',
      startDate: new Date(1_700_000_000_000),
    });
    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
    expect(server?.calls.map((c) => `${c.service}.${c.operation}`)).toEqual([
      'sfn.StartExecution',
      'sfn.DescribeExecution',
    ]);
  });

  it("raises the service's exception class for an AWS-shaped error, by helper or by name, and records it", async () => {
    await start({
      codebuild,
      sfn: {
        DescribeExecution: () => {
          throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
        },
      },
    });
    const codeBuild = client((endpoint) => new CodeBuildClient({ ...CLIENT, endpoint }));
    const sfn = client((endpoint) => new SFNClient({ ...CLIENT, endpoint }));

    const batch = codeBuild.send(new BatchGetBuildsCommand({ ids: ['nope'] }));
    const describe = sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:x' }));

    await expect(batch).rejects.toBeInstanceOf(InvalidInputException);
    await expect(batch).rejects.toThrow('no build nope');
    await expect(describe).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(describe).rejects.toMatchObject({
      message: 'no such execution',
      $metadata: { httpStatusCode: 400 },
    });
    expect(server?.calls.map((c) => c.error)).toEqual([
      { name: 'InvalidInputException', message: 'no build nope', status: 400 },
      { name: 'ExecutionDoesNotExist', message: 'no such execution', status: 400 },
    ]);
    // The service's own answer: not a failure of the local world.
    expect(server?.failures).toEqual([]);
  });

  it('answers an unexpected throw with 500 and records it as a failure of the local world', async () => {
    await start({
      codebuild: {
        StartBuild: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'id')");
        },
      },
    });
    const codeBuild = client((endpoint) => new CodeBuildClient({ ...CLIENT, endpoint }));

    const call = codeBuild.send(new StartBuildCommand({ projectName: 'app' }));

    await expect(call).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(server?.failures).toEqual([
      expect.objectContaining({
        kind: 'stand-in-threw',
        service: 'CodeBuild',
        operation: 'StartBuild',
        message: expect.stringContaining('threw TypeError: Cannot read properties of undefined'),
      }),
    ]);
  });

  it('refuses an operation or a service nothing stands in for, naming the service, the operation and the variable', async () => {
    await start({ codebuild });
    const codeBuild = client((endpoint) => new CodeBuildClient({ ...CLIENT, endpoint }));
    const ssm = client((endpoint) => new SSMClient({ ...CLIENT, endpoint }));

    const unknownOperation = codeBuild.send(new StopBuildCommand({ id: 'x:1' }));
    const unknownService = ssm.send(new GetParameterCommand({ Name: 'deploy-token' }));

    await expect(unknownOperation).rejects.toMatchObject({
      name: 'NoStandIn',
      message: expect.stringContaining('No stand-in answers CodeBuild StopBuild'),
    });
    await expect(unknownService).rejects.toThrow(/give standIns\.ssm\.GetParameter a handler/);
    expect(server?.failures.map((f) => [f.kind, f.service, f.operation, f.variable])).toEqual([
      ['no-stand-in', 'CodeBuild', 'StopBuild', 'AWS_ENDPOINT_URL_CODEBUILD'],
      ['no-stand-in', 'SSM', 'GetParameter', 'AWS_ENDPOINT_URL_SSM'],
    ]);
    expect(server?.calls.at(-1)).toMatchObject({
      service: 'ssm',
      operation: 'GetParameter',
      input: { Name: 'deploy-token' },
      error: { name: 'NoStandIn' },
    });
  });

  it('refuses a query-protocol service (STS) with a message that names it and its variable', async () => {
    await start({ codebuild });
    const sts = client((endpoint) => new STSClient({ ...CLIENT, endpoint }));

    const call = sts.send(new GetCallerIdentityCommand({}));

    await expect(call).rejects.toThrow(
      /cannot stand in for STS \(query protocol\) GetCallerIdentity: .* point AWS_ENDPOINT_URL_STS at/,
    );
    expect(server?.failures).toEqual([
      expect.objectContaining({
        service: 'STS',
        operation: 'GetCallerIdentity',
        variable: 'AWS_ENDPOINT_URL_STS',
      }),
    ]);
  });

  it('points each stood-in service at itself, and every other service through AWS_ENDPOINT_URL', async () => {
    const { url, environment } = await start({ codebuild, sfn: {} });

    expect(environment).toEqual({
      AWS_ENDPOINT_URL: url,
      AWS_ENDPOINT_URL_CODEBUILD: url,
      AWS_ENDPOINT_URL_SFN: url,
    });
    expect(endpointVariable('Secrets Manager')).toBe('AWS_ENDPOINT_URL_SECRETS_MANAGER');
  });

  it('names every wrong part of a standIns value', () => {
    expect(
      standInProblems({ codebuild: { StartBuild: 'yes' }, lambda: {}, sfn: [] }, 'standIns'),
    ).toEqual([
      'standIns.codebuild.StartBuild must be a function',
      'standIns.lambda is not a service a stand-in can answer (known: codebuild, sfn, ecs, ssm, secretsManager)',
      'standIns.sfn must be an object of operation handlers',
    ]);
    expect(standInProblems('x', 'standIns')).toHaveLength(1);
  });
});
