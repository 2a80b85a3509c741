import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorInputError, sendJson } from './protocol.js';
import type { EmulatorState } from './state.js';
import { jobSummaries, jobView } from './views.js';

type Route = (state: EmulatorState, body: unknown, params: string[]) => [number, unknown];

const ROUTES: Array<[method: string, pattern: RegExp, route: Route]> = [
  ['GET', /^\/emulator\/health$/, () => [200, { ok: true }]],
  ['GET', /^\/emulator\/action-types$/, (s) => [200, { actionTypes: s.registry.list() }]],
  ['POST', /^\/emulator\/action-types$/, (s, b) => [201, { actionType: s.createActionType(b) }]],
  ['GET', /^\/emulator\/jobs$/, (s) => [200, { jobs: jobSummaries(s.store) }]],
  ['POST', /^\/emulator\/jobs$/, (s, b) => [201, { jobId: s.enqueueJob(b) }]],
  [
    'GET',
    /^\/emulator\/jobs\/([^/]+)$/,
    (s, _b, [jobId = '']) => {
      const view = jobView(s.store, s.settings.accountId, decodeURIComponent(jobId));
      if (view === undefined) throw new EmulatorInputError(`job ${jobId} not found`, 404);
      return [200, view];
    },
  ],
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
 * Errors answer `{"error": "BadRequest" | "NotFound" | ..., "message": "..."}`.
 */
export function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  state: EmulatorState,
): void {
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
    const [status, payload] = handler(state, parseBody(body), params);
    sendJson(res, status, payload, 'application/json');
  } catch (error) {
    if (!(error instanceof EmulatorInputError)) throw error;
    const name = error.statusCode === 404 ? 'NotFound' : 'BadRequest';
    sendJson(res, error.statusCode, { error: name, message: error.message }, 'application/json');
  }
}
