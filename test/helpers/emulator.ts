import { createHash, createHmac } from 'node:crypto';
import { CodePipelineClient, type CodePipelineClientConfig } from '@aws-sdk/client-codepipeline';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CustomActionTypeInput, RunningEmulator } from '../../local/emulator/index.js';

/** A custom action type like the project's own (bake-time gate), with a secret property. */
export const BAKE_ACTION: CustomActionTypeInput = {
  category: 'Test',
  provider: 'BakeTimeGate',
  version: '1',
  configurationProperties: [
    { name: 'BakeTimeSeconds', required: true, key: true, secret: false, type: 'Number' },
    { name: 'NotifyToken', required: false, key: false, secret: true, type: 'String' },
  ],
  inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
};
export const BAKE_ID = {
  category: 'Test',
  owner: 'Custom',
  provider: 'BakeTimeGate',
  version: '1',
} as const;

/** A custom action type with a queryable property, like the API reference's Jenkins sample. */
export const JENKINS_ACTION: CustomActionTypeInput = {
  category: 'Test',
  provider: 'JenkinsProviderName',
  version: '1',
  configurationProperties: [
    { name: 'ProjectName', required: true, key: true, secret: false, queryable: true },
  ],
  inputArtifactDetails: { minimumCount: 1, maximumCount: 1 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
};
export const JENKINS_ID = {
  category: 'Test',
  owner: 'Custom',
  provider: 'JenkinsProviderName',
  version: '1',
} as const;

export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A clock the test moves by hand; pass `clock.now` as the emulator's `now`. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/** The real AWS SDK v3 client pointed at the emulator, one attempt, 5 s request timeout. */
export function sdkClient(
  emulator: RunningEmulator,
  overrides: Partial<CodePipelineClientConfig> = {},
): CodePipelineClient {
  return new CodePipelineClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: emulator.credentials,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 5_000, throwOnRequestTimeout: true },
    ...overrides,
  });
}

/** An SDK client with the SDK's own retry strategy: 3 attempts, 10 ms back-off (keeps tests fast). */
export function retryingClient(emulator: RunningEmulator): CodePipelineClient {
  return sdkClient(emulator, { retryStrategy: new ConfiguredRetryStrategy(3, 10) });
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto SHA-256 in the shape @smithy/signature-v4 expects. */
class Sha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh() {
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', toBuffer(this.secret));
  }
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/** Sends a raw HTTP request with node fetch and parses the JSON answer (if any). */
export async function rawFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const response = await fetch(url, { method: init.method ?? 'POST', ...init });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Non-JSON answers keep an empty object; tests look at `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * A raw JSON 1.1 call signed with @smithy/signature-v4 (an independent signer), as an
 * HTTP client other than the SDK would send it.
 */
export async function signedCall(
  emulator: RunningEmulator,
  target: string,
  body: string,
  options: {
    credentials?: { accessKeyId: string; secretAccessKey: string };
    headers?: Record<string, string>;
    tamper?: (signed: Record<string, string>) => string;
  } = {},
): Promise<RawResponse> {
  const signer = new SignatureV4({
    service: 'codepipeline',
    region: 'us-east-1',
    credentials: options.credentials ?? emulator.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: emulator.host,
    port: emulator.port,
    path: '/',
    headers: {
      host: `${emulator.host}:${emulator.port}`,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      ...options.headers,
    },
    body,
  });
  const headers = Object.fromEntries(
    Object.entries(signed.headers as Record<string, string>).filter(([name]) => name !== 'host'),
  );
  const sentBody = options.tamper ? options.tamper(headers) : body;
  return rawFetch(emulator.url, { headers, body: sentBody });
}

/** The AWS basic ISO-8601 date of now, e.g. 20260101T000000Z. */
export function amzDate(ms = Date.now()): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
