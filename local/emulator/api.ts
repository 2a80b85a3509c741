import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { HANDLERS } from './operations.js';
import { ApiError, apiErrors, sendJson, TARGET_PREFIX } from './protocol.js';
import { type SigV4Settings, verifySigV4 } from './sigv4.js';
import type { EmulatorState } from './state.js';
import { OPERATIONS, type Operation } from './types.js';
import type { JsonObject } from './validation.js';

/** One API call, as reported to `onRequest` (never bodies: they carry secrets). */
export interface RequestLogEntry {
  at: string;
  operation: string;
  statusCode: number;
  /** `200` or the error name answered. */
  outcome: string;
  durationMs: number;
  requestId: string;
  /** The access key id the request was signed with, when it got that far. */
  accessKeyId?: string;
}

const JSON_TYPES = ['application/x-amz-json-1.1', 'application/x-amz-json-1.0', 'application/json'];

function parseJson(body: Buffer): JsonObject | undefined {
  if (body.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw apiErrors.serialization();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw apiErrors.serialization('Start of structure or map found where not expected.');
  }
  return parsed as JsonObject;
}

function operationOf(target: string | undefined): Operation {
  const [prefix, name, ...rest] = (target ?? '').split('.');
  if (prefix !== TARGET_PREFIX || rest.length > 0 || name === undefined) {
    throw apiErrors.unknownOperation();
  }
  if (!OPERATIONS.includes(name as Operation)) {
    throw apiErrors.unknownOperation(`The emulator does not implement ${name}`);
  }
  return name as Operation;
}

/**
 * Serves one `POST /` call in the order AWS's request layer checks it: content type, JSON,
 * target, SigV4, then injected faults, then the operation itself.
 */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  state: EmulatorState,
  auth: SigV4Settings,
  onRequest?: (entry: RequestLogEntry) => void,
): Promise<void> {
  const started = performance.now();
  let operation = 'Unknown';
  let accessKeyId: string | undefined;
  const answer = (statusCode: number, payload: unknown, outcome: string) => {
    const requestId = sendJson(res, statusCode, payload);
    state.stats.outcome(operation, outcome);
    const durationMs = Math.round(performance.now() - started);
    const at = new Date().toISOString();
    onRequest?.({
      at,
      operation,
      statusCode,
      outcome,
      durationMs,
      requestId,
      ...(accessKeyId ? { accessKeyId } : {}),
    });
  };
  try {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (!JSON_TYPES.includes(contentType ?? '')) throw apiErrors.unknownOperation(undefined, 404);
    const parsed = parseJson(body);
    const target = req.headers['x-amz-target'];
    const op = operationOf(Array.isArray(target) ? target[0] : target);
    operation = op;
    state.stats.call(op);
    const latency = state.faults.latencyFor(op);
    if (latency > 0) {
      state.stats.fault(op, 'latency');
      await sleep(latency);
    }
    const url = req.url ?? '/';
    accessKeyId = verifySigV4(
      { method: req.method ?? 'POST', url, rawHeaders: req.rawHeaders, body },
      auth,
    ).accessKeyId;
    if (parsed === undefined) throw apiErrors.serialization();
    const fault = state.faults.drawError(op);
    if (fault !== undefined) {
      state.stats.fault(op, fault.kind);
      throw fault.error;
    }
    answer(200, HANDLERS[op](state.context, parsed), '200');
  } catch (error) {
    if (error instanceof ApiError) {
      answer(error.statusCode, error.body(), error.type);
      return;
    }
    const failure = apiErrors.internalFailure();
    answer(
      500,
      { ...failure.body(), message: `Emulator error: ${String(error)}` },
      'EmulatorError',
    );
  }
}
