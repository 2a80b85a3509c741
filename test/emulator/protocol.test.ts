import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import {
  amzDate,
  JENKINS_ACTION,
  JENKINS_ID,
  JOB_ID_PATTERN,
  rawFetch,
  signedCall,
} from '../helpers/emulator.js';

const CORAL = 'com.amazon.coral.service#';
const POLL = 'CodePipeline_20150709.PollForJobs';
const ACK = 'CodePipeline_20150709.AcknowledgeJob';

/**
 * Headers shaped like the API reference's sample requests (aws-cli, example access key
 * AKIAI44QH8DHBEXAMPLE, signature "8d9b5998EXAMPLE"), dated `date`.
 */
function sampleHeaders(target: string, date: string, overrides: Record<string, string> = {}) {
  return {
    'Accept-Encoding': 'identity',
    'X-Amz-Target': target,
    'X-Amz-Date': date,
    'User-Agent': 'aws-cli/1.7.38 Python/2.7.9 Windows/7',
    'Content-Type': 'application/x-amz-json-1.1',
    Authorization: `AWS4-HMAC-SHA256 Credential=AKIAI44QH8DHBEXAMPLE/${date.slice(0, 8)}/us-east-1/codepipeline/aws4_request, SignedHeaders=content-type;host;user-agent;x-amz-date;x-amz-target, Signature=8d9b5998EXAMPLE`,
    ...overrides,
  };
}

describe('emulator wire protocol (raw HTTP)', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ actionTypes: [JENKINS_ACTION] });
  });
  afterAll(() => emulator.close());

  describe('API reference sample requests', () => {
    it('serves PollForJobs and AcknowledgeJob requests shaped like the documented samples', async () => {
      const jobId = emulator.enqueueJob({
        actionTypeId: JENKINS_ID,
        configuration: { ProjectName: 'JenkinsTestProject' },
      });
      const pollBody = JSON.stringify({
        actionTypeId: JENKINS_ID,
        maxBatchSize: 5,
        queryParam: { ProjectName: 'JenkinsTestProject' },
      });

      const poll = await rawFetch(emulator.url, {
        headers: sampleHeaders(POLL, amzDate()),
        body: pollBody,
      });
      const jobs = poll.json.jobs as Array<{ id: string; nonce: string; accountId: string }>;
      const ack = await rawFetch(emulator.url, {
        headers: sampleHeaders(ACK, amzDate()),
        body: JSON.stringify({ nonce: jobs[0]?.nonce, jobId: jobs[0]?.id }),
      });

      expect(poll.status).toBe(200);
      expect(poll.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(poll.headers.get('x-amzn-requestid')).toMatch(JOB_ID_PATTERN);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ id: jobId, accountId: '123456789012' });
      expect(ack.status).toBe(200);
      expect(ack.json).toEqual({ status: 'InProgress' });
    });

    it('refuses the verbatim 2016 sample as an expired signature', async () => {
      const response = await rawFetch(emulator.url, {
        headers: sampleHeaders(ACK, '20160707T205252Z'),
        body: JSON.stringify({ nonce: '3', jobId: 'f4f4ff82-2d11-4d3f-8a86-d3b3b2dc1b8d' }),
      });

      expect(response.status).toBe(400);
      expect(response.json.__type).toBe(`${CORAL}InvalidSignatureException`);
      expect(response.json.message).toMatch(/^Signature expired: 20160707T205252Z is now earlier/);
    });
  });

  describe('authentication', () => {
    const body = JSON.stringify({ actionTypeId: JENKINS_ID });

    it('answers MissingAuthenticationTokenException to an unsigned request', async () => {
      const response = await rawFetch(emulator.url, {
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': POLL },
        body,
      });

      expect(response.status).toBe(400);
      expect(response.json).toEqual({
        __type: `${CORAL}MissingAuthenticationTokenException`,
        message: 'Request is missing Authentication Token',
      });
    });

    it('answers MissingAuthenticationTokenException to a non-SigV4 Authorization header', async () => {
      const response = await rawFetch(emulator.url, {
        headers: sampleHeaders(POLL, amzDate(), { Authorization: 'Bearer abc' }),
        body,
      });

      expect(response.json.__type).toBe(`${CORAL}MissingAuthenticationTokenException`);
    });

    it.each([
      [
        'a header without Signature',
        { Authorization: 'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host' },
        /Authorization header requires 'Signature' parameter/,
      ],
      [
        'a header without X-Amz-Date',
        { 'X-Amz-Date': '' },
        /requires existence of either a 'X-Amz-Date' or a 'Date' header/,
      ],
      [
        'a date not in ISO-8601 basic format',
        { 'X-Amz-Date': '2026-01-01T00:00:00Z' },
        /Date must be in ISO-8601 'basic format'/,
      ],
      [
        'an unsupported algorithm',
        { Authorization: 'AWS4-HMAC-SHA1 Credential=a/b/c/d/e, SignedHeaders=host, Signature=x' },
        /Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'/,
      ],
      [
        'a credential without 5 elements',
        { Authorization: 'AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=x' },
        /Credential must have exactly 5 slash-delimited elements/,
      ],
    ])('answers IncompleteSignatureException to %s', async (_name, overrides, message) => {
      const headers = Object.fromEntries(
        Object.entries(sampleHeaders(POLL, amzDate(), overrides)).filter(([, v]) => v !== ''),
      );

      const response = await rawFetch(emulator.url, { headers, body });

      expect(response.status).toBe(400);
      expect(response.json.__type).toBe(`${CORAL}IncompleteSignatureException`);
      expect(response.json.message).toMatch(message);
    });

    it('answers InvalidSignatureException when Host is not signed', async () => {
      const date = amzDate();
      const authorization = `AWS4-HMAC-SHA256 Credential=K/${date.slice(0, 8)}/us-east-1/codepipeline/aws4_request, SignedHeaders=x-amz-date, Signature=abc`;

      const response = await rawFetch(emulator.url, {
        headers: sampleHeaders(POLL, date, { Authorization: authorization }),
        body,
      });

      expect(response.json.__type).toBe(`${CORAL}InvalidSignatureException`);
      expect(response.json.message).toBe(
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
      );
    });

    it('answers InvalidSignatureException to a credential scoped to another service', async () => {
      const date = amzDate();
      const authorization = `AWS4-HMAC-SHA256 Credential=K/${date.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc`;

      const response = await rawFetch(emulator.url, {
        headers: sampleHeaders(POLL, date, { Authorization: authorization }),
        body,
      });

      expect(response.json.message).toMatch(/scoped to correct service: 'codepipeline'/);
    });

    it('verifies a request signed by an independent SigV4 signer with the known key', async () => {
      const response = await signedCall(emulator, 'CodePipeline_20150709.ListActionTypes', '{}');

      expect(response.status).toBe(200);
      expect(response.json.actionTypes).toEqual(expect.any(Array));
    });

    it('answers InvalidSignatureException when the body changed after signing', async () => {
      const response = await signedCall(emulator, 'CodePipeline_20150709.ListActionTypes', '{}', {
        tamper: () => '{"actionOwnerFilter":"AWS"}',
      });

      expect(response.status).toBe(400);
      expect(response.json.__type).toBe(`${CORAL}InvalidSignatureException`);
      expect(response.json.message).toMatch(/^The request signature we calculated does not match/);
    });

    it('answers UnrecognizedClientException to an unknown key in strict mode', async () => {
      const strict = await startEmulator({ strictSignatures: true });
      try {
        const response = await signedCall(strict, 'CodePipeline_20150709.ListActionTypes', '{}', {
          credentials: { accessKeyId: 'AKIAI44QH8DHBEXAMPLE', secretAccessKey: 'x' },
        });

        expect(response.json.__type).toBe(`${CORAL}UnrecognizedClientException`);
      } finally {
        await strict.close();
      }
    });
  });

  describe('request format', () => {
    it('answers SerializationException to a body that is not JSON', async () => {
      const response = await signedCall(emulator, POLL, '{"actionTypeId": ');

      expect(response.status).toBe(400);
      expect(response.json).toEqual({ __type: `${CORAL}SerializationException` });
    });

    it('checks the JSON before the signature, as AWS does', async () => {
      const response = await rawFetch(emulator.url, {
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': POLL },
        body: 'not json',
      });

      expect(response.json.__type).toBe(`${CORAL}SerializationException`);
    });

    it.each([
      ['a JSON array', '[]'],
      ['an empty body', ''],
      [
        'a string where an integer belongs',
        JSON.stringify({ actionTypeId: JENKINS_ID, maxBatchSize: '5' }),
      ],
      ['a number where a structure belongs', JSON.stringify({ actionTypeId: 7 })],
    ])('answers SerializationException to %s', async (_name, body) => {
      const response = await signedCall(emulator, POLL, body);

      expect(response.status).toBe(400);
      expect(response.json.__type).toBe(`${CORAL}SerializationException`);
    });

    it.each([
      ['another service prefix', 'DynamoDB_20120810.PollForJobs'],
      ['an unknown operation', 'CodePipeline_20150709.DoSomething'],
      ['an operation the emulator does not implement', 'CodePipeline_20150709.GetPipeline'],
      ['a target without an operation', 'CodePipeline_20150709'],
    ])('answers UnknownOperationException to %s', async (_name, target) => {
      const response = await signedCall(emulator, target, '{}');

      expect(response.status).toBe(400);
      expect(response.json.__type).toBe(`${CORAL}UnknownOperationException`);
    });

    it('answers 404 UnknownOperationException to a body that is not JSON-typed', async () => {
      const response = await signedCall(emulator, POLL, '{}', {
        headers: { 'content-type': 'text/plain' },
      });

      expect(response.status).toBe(404);
      expect(response.json.__type).toBe(`${CORAL}UnknownOperationException`);
    });

    it('answers 404 to anything but POST /', async () => {
      const get = await rawFetch(emulator.url, { method: 'GET' });
      const post = await rawFetch(`${emulator.url}/jobs`, { body: '{}' });

      expect(get.status).toBe(404);
      expect(post.status).toBe(404);
    });
  });
});
