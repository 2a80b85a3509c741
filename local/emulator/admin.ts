import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorInputError, sendJson } from './protocol.js';
import type { EmulatorState } from './state.js';
import { jobSummaries, jobView } from './views.js';

/** An answer that is bytes, not JSON (an uploaded object, a file of it). */
class RawAnswer {
  constructor(readonly body: Buffer) {}
}

type Answer = [number, unknown];
type Route = (state: EmulatorState, body: unknown, params: string[]) => Answer | Promise<Answer>;

const decoded = (value = '') => decodeURIComponent(value);

/** The body as an object (an empty body is `{}`). */
function fields(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new EmulatorInputError('the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function stopMode(body: unknown): 'abandon' | 'wait' {
  const { abandon } = fields(body);
  if (abandon !== undefined && typeof abandon !== 'boolean') {
    throw new EmulatorInputError('abandon must be true or false');
  }
  return abandon === true ? 'abandon' : 'wait';
}

const ROUTES: Array<[method: string, pattern: RegExp, route: Route]> = [
  ['GET', /^\/emulator\/health$/, () => [200, { ok: true }]],
  ['GET', /^\/emulator\/action-types$/, (s) => [200, { actionTypes: s.registry.list() }]],
  ['POST', /^\/emulator\/action-types$/, (s, b) => [201, { actionType: s.createActionType(b) }]],
  ['GET', /^\/emulator\/jobs$/, (s) => [200, { jobs: jobSummaries(s.store) }]],
  [
    'POST',
    /^\/emulator\/jobs$/,
    async (s, b) => {
      // Answered once the job is queued: its input artifacts are then in the store.
      const jobId = s.enqueueJob(b);
      await s.whenQueued(jobId);
      return [201, { jobId }];
    },
  ],
  [
    'GET',
    /^\/emulator\/jobs\/([^/]+)\/outputs\/([^/]+)$/,
    async (s, _b, [jobId, name]) => [200, await s.jobOutput(decoded(jobId), decoded(name))],
  ],
  [
    'GET',
    /^\/emulator\/jobs\/([^/]+)\/outputs\/([^/]+)\/object$/,
    async (s, _b, [jobId, name]) => [
      200,
      new RawAnswer(await s.jobOutputBytes(decoded(jobId), decoded(name))),
    ],
  ],
  [
    'GET',
    /^\/emulator\/jobs\/([^/]+)\/outputs\/([^/]+)\/files\/(.+)$/,
    async (s, _b, [jobId, name, path]) => {
      const entry = (path ?? '').split('/').map(decodeURIComponent).join('/');
      return [200, new RawAnswer(await s.jobOutputBytes(decoded(jobId), decoded(name), entry))];
    },
  ],
  [
    'GET',
    /^\/emulator\/jobs\/([^/]+)$/,
    (s, _b, [jobId = '']) => {
      const view = jobView(s.store, s.settings.accountId, decodeURIComponent(jobId));
      if (view === undefined) throw new EmulatorInputError(`job ${jobId} not found`, 404);
      return [200, view];
    },
  ],
  [
    'POST',
    /^\/emulator\/executions\/([^/]+)\/stop$/,
    (s, b, [id]) => {
      s.stopExecution(decoded(id), stopMode(b), fields(b).reason);
      return [200, { pipelineExecutionId: decoded(id) }];
    },
  ],
  [
    'POST',
    /^\/emulator\/executions\/([^/]+)\/supersede$/,
    (s, _b, [id]) => {
      s.stopExecution(decoded(id), 'supersede');
      return [200, { pipelineExecutionId: decoded(id) }];
    },
  ],
  [
    'POST',
    /^\/emulator\/action-executions\/([^/]+)\/timeout$/,
    (s, _b, [id]) => {
      s.store.timeOutAction(decoded(id));
      return [200, { actionExecutionId: decoded(id) }];
    },
  ],
  ['GET', /^\/emulator\/events$/, (s) => [200, { events: s.events.list() }]],
  ['GET', /^\/emulator\/faults$/, (s) => [200, s.faults.current]],
  ['PUT', /^\/emulator\/faults$/, (s, b) => [200, s.faults.configure(b)]],
  ['GET', /^\/emulator\/stats$/, (s) => [200, s.stats.snapshot()]],
  ['GET', /^\/emulator\/secrets$/, (s) => [200, s.secrets.view()]],
  ['GET', /^\/emulator\/time$/, (s) => [200, { now: new Date(s.now()).toISOString() }]],
  [
    'POST',
    /^\/emulator\/time$/,
    (s, b) => {
      s.advanceTime(Number((b as { advanceMs?: unknown } | undefined)?.advanceMs));
      return [200, { now: new Date(s.now()).toISOString() }];
    },
  ],
  [
    'POST',
    /^\/emulator\/reset$/,
    (s) => {
      s.reset();
      return [200, { ok: true }];
    },
  ],
];

const ERROR_NAMES: Record<number, string> = { 404: 'NotFound', 409: 'Conflict' };

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new EmulatorInputError('the body is not valid JSON');
  }
}

/**
 * The emulator's own API under `/emulator/`: plain JSON, no SigV4, no faults.
 * Errors answer `{"error": "BadRequest" | "NotFound" | "Conflict" | ..., "message": "..."}`.
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  state: EmulatorState,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const matching = ROUTES.filter(([, pattern]) => pattern.test(path));
  const route = matching.find(([method]) => method === req.method);
  try {
    if (route === undefined) {
      const allowed = matching.map(([method]) => method).join(', ');
      const [status, error] = allowed ? [405, 'MethodNotAllowed'] : [404, 'NotFound'];
      const message = allowed ? `use ${allowed}` : `no admin route ${req.method} ${path}`;
      sendJson(res, status, { error, message }, 'application/json');
      return;
    }
    const [, pattern, handler] = route;
    const params = pattern.exec(path)?.slice(1) ?? [];
    const [status, payload] = await handler(state, parseBody(body), params);
    if (payload instanceof RawAnswer) {
      res.writeHead(status, {
        'content-type': 'application/octet-stream',
        'content-length': payload.body.length,
      });
      res.end(payload.body);
      return;
    }
    sendJson(res, status, payload, 'application/json');
  } catch (error) {
    if (!(error instanceof EmulatorInputError)) throw error;
    const name = ERROR_NAMES[error.statusCode] ?? 'BadRequest';
    sendJson(res, error.statusCode, { error: name, message: error.message }, 'application/json');
  }
}
