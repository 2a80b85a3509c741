import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The AWS JSON 1.1 target prefix of CodePipeline (`X-Amz-Target: CodePipeline_20150709.<Op>`). */
export const TARGET_PREFIX = 'CodePipeline_20150709';
export const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Framework errors come from AWS's request layer, which prefixes them with its namespace. */
const CORAL = 'com.amazon.coral.service#';

/** An error answered on the wire as `{"__type": ..., "message": ...}`. */
export class ApiError extends Error {
  /**
   * @param type - the error name, e.g. `InvalidNonceException`
   * @param detail - the message; omitted from the body when undefined
   * @param statusCode - HTTP status (400 unless a server fault)
   * @param namespace - optional `namespace#` prefix written in `__type`
   */
  constructor(
    readonly type: string,
    readonly detail: string | undefined,
    readonly statusCode = 400,
    readonly namespace = '',
  ) {
    super(detail ?? type);
    this.name = 'ApiError';
  }

  /** The JSON body AWS answers for this error. */
  body(): { __type: string; message?: string } {
    const __type = `${this.namespace}${this.type}`;
    return this.detail === undefined ? { __type } : { __type, message: this.detail };
  }
}

/** A bad request to the emulator's own interface (admin API or in-process handle). */
export class EmulatorInputError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'EmulatorInputError';
  }
}

export const apiErrors = {
  validation: (message: string) => new ApiError('ValidationException', message),
  serialization: (message?: string) => new ApiError('SerializationException', message, 400, CORAL),
  unknownOperation: (message?: string, statusCode = 400) =>
    new ApiError('UnknownOperationException', message, statusCode, CORAL),
  missingToken: () =>
    new ApiError(
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token',
      400,
      CORAL,
    ),
  incompleteSignature: (message: string) =>
    new ApiError('IncompleteSignatureException', message, 400, CORAL),
  invalidSignature: (message: string) =>
    new ApiError('InvalidSignatureException', message, 400, CORAL),
  unrecognizedClient: () =>
    new ApiError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      400,
      CORAL,
    ),
  actionTypeNotFound: (message: string) => new ApiError('ActionTypeNotFoundException', message),
  jobNotFound: (jobId: string) => new ApiError('JobNotFoundException', `Job ${jobId} not found`),
  invalidNonce: (message: string) => new ApiError('InvalidNonceException', message),
  invalidJobState: (message: string) => new ApiError('InvalidJobStateException', message),
  outputVariablesTooLarge: (message: string) =>
    new ApiError('OutputVariablesSizeExceededException', message),
  limitExceeded: (message: string) => new ApiError('LimitExceededException', message),
  invalidNextToken: () => new ApiError('InvalidNextTokenException', 'The next token is invalid'),
  throttling: () => new ApiError('ThrottlingException', 'Rate exceeded'),
  internalFailure: () =>
    new ApiError('InternalFailure', 'We encountered an internal error. Please try again.', 500),
  serviceUnavailable: () =>
    new ApiError('ServiceUnavailable', 'Service is unavailable. Please try again.', 503),
};

/** Reads the whole request body, refusing bodies above `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Writes a JSON answer with the headers AWS JSON services send.
 * @returns the request id sent in `x-amzn-RequestId`
 */
export function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  contentType = CONTENT_TYPE,
): string {
  const requestId = randomUUID();
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(statusCode, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
  return requestId;
}
