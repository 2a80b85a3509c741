/**
 * Property-based tests of the nonce ledger: random interleavings of claim, take-over,
 * complete, release, lease expiry and duplicate delivery across several workers, run against
 * the real DynamoDbNonceLedger on dynalite with a simulated clock (every ledger method takes
 * its timestamps as arguments).
 *
 * 1. Model-based (fc.commands): one command at a time, each answer compared with a model of
 *    the ledger written from the guarantees in docs/reliability.md.
 * 2. Concurrent (fc.scheduler): workers run scripts at once, fast-check chooses the order in
 *    which their calls are issued and answered; the answers are checked against invariants
 *    that do not depend on an order nobody can observe.
 *
 * Invariants (both): no two holders of one job at a time (a new holder's `now` is past the
 * previous lease unless that claim was released), a (jobId, nonce) pair is claimed at most
 * once, a finished job is never claimed or taken over again, a superseded holder can no longer
 * complete, release or record, a report once recorded is handed to every later holder of the
 * job (so its processor never runs again), and no job is lost (an open claim whose lease
 * expired is found by findExpired and taken over by exactly one of several workers).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import type { Claim, ClaimResult, LedgerOutcome } from '../../lambda/ports.js';
import type { Report } from '../../lambda/worker/report.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';

const T0 = 1_800_000_000_000;
const WORKERS = 3;
const JOBS = ['0a0a0a0a-0000-4000-8000-000000000001', '0b0b0b0b-0000-4000-8000-000000000002'];
const NONCES = ['n0', 'n1', 'n2'];
const OUTCOMES: LedgerOutcome[] = ['succeeded', 'failed', 'continued', 'abandoned'];
/**
 * Lease lengths and clock steps on a common grid, so a `now` equal to a lease (still live), one
 * past it and one before it all come up often; 60 s outlives most runs.
 */
const LEASES = [1_000, 2_000, 60_000];
const STEPS = [1, 999, 1_000, 1_000, 2_000, 60_000];

type JobId = string;
type OpenState = 'claimed' | 'released';
type LedgerState = OpenState | LedgerOutcome;

/** A distinct report per tag, of each kind, so that a report handed back names its recorder. */
function reportFor(tag: string): Report {
  return tag.length % 2 === 0
    ? { kind: 'success', executionDetails: { summary: tag }, outputVariables: { Tag: tag } }
    : { kind: 'failure', failureType: 'JobFailed', message: tag };
}

// ---------------------------------------------------------------------------------------------
// Invariants over what the ledger answered (shared by both tests)
// ---------------------------------------------------------------------------------------------

interface Acquisition {
  readonly claim: Claim;
  readonly via: 'claim' | 'takeOver';
  /** The `now` the acquiring call carried. */
  readonly now: number;
  completed?: LedgerOutcome;
  released?: boolean;
  /** Reports its holder recorded, in the order the ledger accepted them. */
  readonly recorded: Report[];
}

/** Every answer the ledger gave, and the invariants it must satisfy whatever the order. */
class History {
  readonly #acquisitions: Acquisition[] = [];
  readonly #byToken = new Map<string, Acquisition>();
  readonly #answers: { jobId: JobId; nonce: string; kind: ClaimResult['kind'] }[] = [];

  acquired(claim: Claim, via: Acquisition['via'], now: number): void {
    const acquisition = { claim, via, now, recorded: [] };
    this.#acquisitions.push(acquisition);
    this.#byToken.set(claim.token, acquisition);
  }

  answered(jobId: JobId, nonce: string, result: ClaimResult): void {
    this.#answers.push({ jobId, nonce, kind: result.kind });
  }

  recorded(claim: Claim, report: Report, ok: boolean): void {
    if (!ok) return;
    const acquisition = this.#byToken.get(claim.token);
    if (!acquisition) throw new Error(`recorded on a claim the ledger never gave: ${claim.token}`);
    acquisition.recorded.push(report);
  }

  closed(claim: Claim, how: 'release' | LedgerOutcome, ok: boolean): void {
    if (!ok) return;
    const acquisition = this.#byToken.get(claim.token);
    if (!acquisition) throw new Error(`closed a claim the ledger never gave: ${claim.token}`);
    if (how === 'release') acquisition.released = true;
    else acquisition.completed = how;
  }

  /** The job's acquisitions in the ledger's own order (its attempt counter). */
  of(jobId: JobId): Acquisition[] {
    return this.#acquisitions
      .filter((a) => a.claim.jobId === jobId)
      .sort((a, b) => a.claim.attempt - b.claim.attempt);
  }

  /** Jobs whose last claim is open (neither completed nor released), with that claim. */
  open(): Map<JobId, Acquisition> {
    const open = new Map<JobId, Acquisition>();
    for (const jobId of new Set(this.#acquisitions.map((a) => a.claim.jobId))) {
      const last = this.of(jobId).at(-1);
      if (last && !last.completed && !last.released) open.set(jobId, last);
    }
    return open;
  }

  /** Throws, naming the broken invariant, when the answers are impossible for a correct ledger. */
  check(): void {
    const jobIds = new Set(this.#acquisitions.map((a) => a.claim.jobId));
    for (const jobId of jobIds) {
      const list = this.of(jobId);
      const attempts = list.map((a) => a.claim.attempt);
      expect(attempts, `${jobId}: every acquisition has its own attempt number`).toEqual(
        list.map((_, i) => i + 1),
      );
      for (const [i, current] of list.entries()) {
        // Whoever holds the job after a report was recorded gets the last one recorded.
        const lastRecorded = list
          .slice(0, i)
          .flatMap((a) => a.recorded)
          .at(-1);
        expect(
          current.claim.recorded,
          `${jobId}: attempt ${current.claim.attempt} must carry the last report recorded before it`,
        ).toEqual(lastRecorded);
        const previous = list[i - 1];
        if (previous) {
          // Two holders at once: the new one got the job while the previous lease was live.
          expect(
            previous.released || current.now > previous.claim.leaseExpiresAt,
            `${jobId}: attempt ${current.claim.attempt} (${current.via} at ${current.now}) overlaps attempt ${previous.claim.attempt} (lease to ${previous.claim.leaseExpiresAt}, not released)`,
          ).toBe(true);
          // A released claim is no longer `claimed`: only a new dispatch can take the job.
          if (previous.released) {
            expect(current.via, `${jobId}: a released claim was taken over`).toBe('claim');
          }
          if (current.via === 'takeOver') {
            expect(current.claim.nonce, `${jobId}: take-over keeps the nonce`).toBe(
              previous.claim.nonce,
            );
          }
        }
        // A finished job: nothing after it, neither a claim nor a take-over.
        if (current.completed) {
          expect(
            i,
            `${jobId}: attempt ${current.claim.attempt} was completed (${current.completed}) yet the job was acquired again`,
          ).toBe(list.length - 1);
        }
      }
      const claimedPairs = list.filter((a) => a.via === 'claim').map((a) => a.claim.nonce);
      expect(claimedPairs, `${jobId}: a (jobId, nonce) pair claimed twice`).toEqual([
        ...new Set(claimedPairs),
      ]);
    }
    for (const answer of this.#answers) {
      const list = this.of(answer.jobId);
      if (answer.kind === 'finished') {
        expect(
          list.some((a) => a.completed),
          `${answer.jobId}: answered finished, but no claim of it was completed`,
        ).toBe(true);
      }
      if (answer.kind === 'duplicate') {
        expect(
          list.some((a) => a.via === 'claim' && a.claim.nonce === answer.nonce),
          `${answer.jobId}/${answer.nonce}: answered duplicate, but the pair was never claimed`,
        ).toBe(true);
      }
      if (answer.kind === 'held') {
        expect(
          list.length,
          `${answer.jobId}: answered held, but nobody ever held it`,
        ).toBeGreaterThan(0);
      }
    }
  }
}

/**
 * No job is lost: past every lease, findExpired finds exactly the jobs whose last claim is
 * open, and of several workers racing to take each over exactly one wins, with its nonce.
 */
async function checkNothingLost(ledger: DynamoDbNonceLedger, history: History): Promise<void> {
  const open = history.open();
  const latest = Math.max(T0, ...[...open.values()].map((a) => a.claim.leaseExpiresAt));
  const now = latest + 1;

  const found = (await ledger.findExpired(now, 100)).map((claim) => claim.jobId);

  expect(found.sort(), 'findExpired finds every open claim whose lease expired').toEqual(
    [...open.keys()].sort(),
  );
  for (const [jobId, last] of open) {
    const racers = await Promise.all(
      Array.from({ length: WORKERS }, () => ledger.takeOver(jobId, now, now + 60_000)),
    );
    const winners = racers.filter((claim): claim is Claim => claim !== undefined);
    expect(winners, `${jobId}: exactly one worker takes the expired claim over`).toHaveLength(1);
    const [winner] = winners as [Claim];
    expect(winner).toMatchObject({ nonce: last.claim.nonce, attempt: last.claim.attempt + 1 });
    const lastRecorded = history
      .of(jobId)
      .flatMap((a) => a.recorded)
      .at(-1);
    expect(winner.recorded, `${jobId}: the taker gets the report recorded before`).toEqual(
      lastRecorded,
    );
    expect(await ledger.complete(last.claim, 'succeeded', now)).toBe(false);
    expect(await ledger.complete(winner, 'succeeded', now)).toBe(true);
  }
  expect(await ledger.findExpired(now + 120_000, 100)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// 1. Model-based: the ledger answers exactly as the model says
// ---------------------------------------------------------------------------------------------

interface JobModel {
  readonly nonces: Set<string>;
  state: LedgerState;
  nonce: string;
  /** Index (in Model.claims) of the claim whose token the item carries. */
  holder: number;
  lease: number;
  attempts: number;
  /** Claims given back unused (released): not counted as tries. */
  released: number;
  /** The tag of the report recorded while the job was open; gone once it is finished. */
  report?: string;
}

interface ClaimModel {
  readonly worker: number;
  readonly jobId: JobId;
  readonly nonce: string;
  readonly attempt: number;
  /** Claims of the job (this one included) that were not given back unused. */
  readonly tries: number;
  readonly lease: number;
  /** Its holder completed or released it. */
  closedByHolder: boolean;
}

interface Model {
  now: number;
  readonly jobs: Map<JobId, JobModel>;
  readonly claims: ClaimModel[];
}

interface Real {
  readonly ledger: DynamoDbNonceLedger;
  /** Same indexes as Model.claims. */
  readonly claims: Claim[];
  readonly history: History;
}

const isOpen = (state: LedgerState): state is OpenState =>
  state === 'claimed' || state === 'released';

/** What claim() must answer, from the guarantees; updates the model when it claims. */
function modelClaim(
  model: Model,
  worker: number,
  jobId: JobId,
  nonce: string,
  lease: number,
): ClaimResult['kind'] {
  const job = model.jobs.get(jobId);
  const fresh = !job || (!job.nonces.has(nonce) && isOpen(job.state) && job.lease < model.now);
  if (!fresh) {
    if (job.nonces.has(nonce)) return 'duplicate';
    return isOpen(job.state) ? 'held' : 'finished';
  }
  const attempt = (job?.attempts ?? 0) + 1;
  const tries = attempt - (job?.released ?? 0);
  model.claims.push({ worker, jobId, nonce, attempt, tries, lease, closedByHolder: false });
  const holder = model.claims.length - 1;
  if (job) {
    job.nonces.add(nonce);
    Object.assign(job, { state: 'claimed', nonce, holder, lease, attempts: attempt });
  } else {
    model.jobs.set(jobId, {
      nonces: new Set([nonce]),
      state: 'claimed',
      nonce,
      holder,
      lease,
      attempts: attempt,
      released: 0,
    });
  }
  return 'claimed';
}

/** Updates the model for a take-over of `job` by `worker`: same nonce, one more attempt. */
function modelTakeOver(
  model: Model,
  worker: number,
  jobId: JobId,
  job: JobModel,
  lease: number,
): void {
  const attempt = job.attempts + 1;
  model.claims.push({
    worker,
    jobId,
    nonce: job.nonce,
    attempt,
    tries: attempt - job.released,
    lease,
    closedByHolder: false,
  });
  Object.assign(job, { holder: model.claims.length - 1, lease, attempts: attempt });
}

function expectClaim(real: Claim, model: ClaimModel, now: number, report?: string): void {
  expect(real).toMatchObject({
    jobId: model.jobId,
    nonce: model.nonce,
    attempt: model.attempt,
    tries: model.tries,
    leaseExpiresAt: model.lease,
  });
  expect(real.recorded, 'the claim carries the recorded report').toEqual(
    report === undefined ? undefined : reportFor(report),
  );
  expect(model.lease).toBeGreaterThan(now);
}

class ClaimCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(
    readonly worker: number,
    readonly job: number,
    readonly nonce: number,
    readonly leaseMs: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const jobId = JOBS[this.job] as JobId;
    const nonce = NONCES[this.nonce] as string;
    const now = model.now;
    const lease = now + this.leaseMs;
    const result = await real.ledger.claim({ jobId, nonce, now, leaseExpiresAt: lease });
    real.history.answered(jobId, nonce, result);
    const expected = modelClaim(model, this.worker, jobId, nonce, lease);
    expect(result.kind, `${this} at ${now}`).toBe(expected);
    if (result.kind === 'claimed') {
      real.claims.push(result.claim);
      real.history.acquired(result.claim, 'claim', now);
      expectClaim(
        result.claim,
        model.claims.at(-1) as ClaimModel,
        now,
        model.jobs.get(jobId)?.report,
      );
    }
  }
  toString = () =>
    `claim(w${this.worker}, job${this.job}, ${NONCES[this.nonce]}, +${this.leaseMs})`;
}

class TakeOverCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(
    readonly worker: number,
    readonly job: number,
    readonly leaseMs: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const jobId = JOBS[this.job] as JobId;
    const now = model.now;
    const lease = now + this.leaseMs;
    const taken = await real.ledger.takeOver(jobId, now, lease);
    const job = model.jobs.get(jobId);
    const expected = job !== undefined && job.state === 'claimed' && job.lease < now;
    expect(taken !== undefined, `${this} at ${now}`).toBe(expected);
    if (!taken || !job) return;
    modelTakeOver(model, this.worker, jobId, job, lease);
    real.claims.push(taken);
    real.history.acquired(taken, 'takeOver', now);
    expectClaim(taken, model.claims.at(-1) as ClaimModel, now, job.report);
  }
  toString = () => `takeOver(w${this.worker}, job${this.job}, +${this.leaseMs})`;
}

/**
 * The claims their holders have not closed yet, live or superseded (by a later claim). A claim
 * its holder already closed is left out: the ledger lets its holder release it even after
 * completing it, which reopens a finished job; the contract test "never reopens a finished
 * job" (test/helpers/ledger-contract.ts) pins that bug down on both servers.
 */
const handles = (model: Model) =>
  [...model.claims.entries()].filter(([, claim]) => !claim.closedByHolder);

/** A holder completes or releases one of its claims (which may have been superseded). */
class CloseCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(
    readonly pick: number,
    readonly how: 'release' | LedgerOutcome,
  ) {}
  check = (model: Readonly<Model>) => handles(model as Model).length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const open = handles(model);
    const [index, claimModel] = open[this.pick % open.length] as [number, ClaimModel];
    const claim = real.claims[index] as Claim;
    const now = model.now;
    const ok =
      this.how === 'release'
        ? await real.ledger.release(claim, now)
        : await real.ledger.complete(claim, this.how, now);
    real.history.closed(claim, this.how, ok);
    const job = model.jobs.get(claimModel.jobId) as JobModel;
    const expected = job.holder === index;
    expect(ok, `${this} by w${claimModel.worker} of attempt ${claimModel.attempt} at ${now}`).toBe(
      expected,
    );
    claimModel.closedByHolder = true;
    if (!ok) return;
    if (this.how === 'release') {
      Object.assign(job, { state: 'released', lease: 0, released: job.released + 1 });
    } else Object.assign(job, { state: this.how, report: undefined });
  }
  toString = () => `${this.how}(#${this.pick})`;
}

/**
 * A holder records the report its processor produced, on one of its claims (which may have
 * been superseded or closed since).
 */
class RecordCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(
    readonly pick: number,
    readonly tag: string,
  ) {}
  check = (model: Readonly<Model>) => model.claims.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const index = this.pick % model.claims.length;
    const claimModel = model.claims[index] as ClaimModel;
    const claim = real.claims[index] as Claim;
    const report = reportFor(this.tag);
    const ok = await real.ledger.record(claim, report, model.now);
    real.history.recorded(claim, report, ok);
    const job = model.jobs.get(claimModel.jobId) as JobModel;
    const expected = job.holder === index && job.state === 'claimed';
    expect(ok, `${this} by w${claimModel.worker} of attempt ${claimModel.attempt}`).toBe(expected);
    if (ok) job.report = this.tag;
  }
  toString = () => `record(#${this.pick}, ${this.tag})`;
}

class AdvanceCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model): Promise<void> {
    model.now += this.ms;
  }
  toString = () => `advance(${this.ms})`;
}

class FindExpiredCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(readonly limit: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const found = await real.ledger.findExpired(model.now, this.limit);
    const expired = [...model.jobs.entries()]
      .filter(([, job]) => job.state === 'claimed' && job.lease < model.now)
      .sort(([, a], [, b]) => a.lease - b.lease);
    const leaseOf = (jobId: JobId) => model.jobs.get(jobId)?.lease;
    // Oldest first: the same leases as the model's first `limit`, whichever of equal ones.
    expect(
      found.map(({ jobId }) => leaseOf(jobId)),
      `${this} at ${model.now}`,
    ).toEqual(expired.slice(0, this.limit).map(([, job]) => job.lease));
    // Each with its own lease, as the alarm on the oldest one reads it.
    expect(found.map((claim) => claim.leaseExpiresAt)).toEqual(
      found.map(({ jobId }) => leaseOf(jobId)),
    );
    expect(found.every(({ jobId }) => expired.some(([id]) => id === jobId))).toBe(true);
  }
  toString = () => `findExpired(${this.limit})`;
}

/** Every worker looks for expired claims and races the others to take each one over. */
class RecoverCommand implements fc.AsyncCommand<Model, Real, false> {
  constructor(readonly leaseMs: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const now = model.now;
    const lease = now + this.leaseMs;
    const found = await real.ledger.findExpired(now, 100);
    for (const { jobId } of found) {
      const job = model.jobs.get(jobId) as JobModel;
      const racers = await Promise.all(
        Array.from({ length: WORKERS }, (_, worker) =>
          real.ledger.takeOver(jobId, now, lease).then((claim) => ({ worker, claim })),
        ),
      );
      const winners = racers.filter((r) => r.claim !== undefined);
      expect(winners, `${this}: exactly one of ${WORKERS} takes ${jobId} over`).toHaveLength(1);
      const [{ worker, claim }] = winners as [{ worker: number; claim: Claim }];
      modelTakeOver(model, worker, jobId, job, lease);
      real.claims.push(claim);
      real.history.acquired(claim, 'takeOver', now);
      expectClaim(claim, model.claims.at(-1) as ClaimModel, now, job.report);
    }
  }
  toString = () => `recover(+${this.leaseMs})`;
}

const worker = fc.nat({ max: WORKERS - 1 });
const job = fc.nat({ max: JOBS.length - 1 });
const lease = fc.constantFrom(...LEASES);
const claimCommand = fc
  .tuple(worker, job, fc.nat({ max: NONCES.length - 1 }), lease)
  .map(([w, j, n, l]) => new ClaimCommand(w, j, n, l));
const advanceCommand = fc.constantFrom(...STEPS).map((ms) => new AdvanceCommand(ms));
const closeCommand = fc
  .tuple(
    fc.nat({ max: 7 }),
    fc.constantFrom<'release' | LedgerOutcome>('release', 'release', ...OUTCOMES),
  )
  .map(([pick, how]) => new CloseCommand(pick, how));
const recordCommand = fc
  .tuple(fc.nat({ max: 7 }), fc.constantFrom('r', 'rr', 'rrr', 'rrrr'))
  .map(([pick, tag]) => new RecordCommand(pick, tag));
const commands = fc.commands(
  [
    // A processor returns once per claim at most: records come as often as claims do.
    recordCommand,
    recordCommand,
    // Claims, closes and clock steps twice as often: they make the states the others meet.
    claimCommand,
    claimCommand,
    advanceCommand,
    advanceCommand,
    closeCommand,
    closeCommand,
    fc.tuple(worker, job, lease).map(([w, j, l]) => new TakeOverCommand(w, j, l)),
    fc.integer({ min: 1, max: 3 }).map((limit) => new FindExpiredCommand(limit)),
    lease.map((l) => new RecoverCommand(l)),
  ],
  // 'medium': about 20 commands a run (the default size gives about 5).
  { maxCommands: 40, size: 'medium' },
);

// ---------------------------------------------------------------------------------------------
// 2. Concurrent: workers' calls issued and answered in an order fast-check chooses
// ---------------------------------------------------------------------------------------------

type Step =
  | {
      readonly kind: 'claim';
      readonly job: number;
      readonly nonce: number;
      readonly leaseMs: number;
    }
  | { readonly kind: 'takeOver'; readonly job: number; readonly leaseMs: number }
  | { readonly kind: 'recover'; readonly leaseMs: number }
  | { readonly kind: 'record'; readonly tag: string }
  | { readonly kind: 'close'; readonly how: 'release' | LedgerOutcome };

/** A step, the clock advance before it, and how far behind the worker's clock runs. */
interface Timed {
  readonly step: Step;
  readonly advance: number;
  readonly lag: number;
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('claim' as const),
    job,
    nonce: fc.nat({ max: NONCES.length - 1 }),
    leaseMs: lease,
  }),
  fc.record({ kind: fc.constant('takeOver' as const), job, leaseMs: lease }),
  fc.record({ kind: fc.constant('recover' as const), leaseMs: lease }),
  fc.record({ kind: fc.constant('record' as const), tag: fc.constantFrom('r', 'rr', 'rrr') }),
  fc.record({
    kind: fc.constant('close' as const),
    how: fc.constantFrom<'release' | LedgerOutcome>('release', ...OUTCOMES),
  }),
);
const scriptArb = fc.array(
  fc.record({
    step: stepArb,
    advance: fc.constantFrom(...STEPS),
    lag: fc.constantFrom(0, 0, 0, 1, 500, 60_000),
  }),
  { minLength: 1, maxLength: 6 },
);

/** One worker: runs its script, each call issued and each answer seen when the scheduler says. */
async function runWorker(
  s: fc.Scheduler,
  id: number,
  script: readonly Timed[],
  ledger: DynamoDbNonceLedger,
  history: History,
  clock: { now: number },
): Promise<void> {
  const held: Claim[] = [];
  for (const { step, advance, lag } of script) {
    await s.schedule(Promise.resolve(), `w${id} ${step.kind}`);
    clock.now += advance;
    const now = clock.now - lag;
    switch (step.kind) {
      case 'claim': {
        const jobId = JOBS[step.job] as JobId;
        const nonce = NONCES[step.nonce] as string;
        const call = ledger.claim({ jobId, nonce, now, leaseExpiresAt: now + step.leaseMs });
        const result = await s.schedule(call, `w${id} claim answer`);
        history.answered(jobId, nonce, result);
        if (result.kind === 'claimed') {
          history.acquired(result.claim, 'claim', now);
          held.push(result.claim);
        }
        break;
      }
      case 'takeOver':
      case 'recover': {
        const jobIds =
          step.kind === 'takeOver'
            ? [JOBS[step.job] as JobId]
            : (await s.schedule(ledger.findExpired(now, 1), `w${id} findExpired answer`)).map(
                (claim) => claim.jobId,
              );
        for (const jobId of jobIds) {
          const call = ledger.takeOver(jobId, now, now + step.leaseMs);
          const taken = await s.schedule(call, `w${id} takeOver answer`);
          if (taken) {
            history.acquired(taken, 'takeOver', now);
            held.push(taken);
          }
        }
        break;
      }
      case 'record': {
        const claim = held.at(-1);
        if (!claim) break;
        const report = reportFor(`${step.tag}${'w'.repeat(id)}`);
        const call = ledger.record(claim, report, now);
        history.recorded(claim, report, await s.schedule(call, `w${id} record answer`));
        break;
      }
      case 'close': {
        const claim = held.pop();
        if (!claim) break;
        const call =
          step.how === 'release'
            ? ledger.release(claim, now)
            : ledger.complete(claim, step.how, now);
        history.closed(claim, step.how, await s.schedule(call, `w${id} ${step.how} answer`));
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('nonce ledger properties (dynalite, simulated clock)', () => {
  let db: LocalDynamoDb;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(() => db.close());

  async function freshLedger(): Promise<DynamoDbNonceLedger> {
    return new DynamoDbNonceLedger({
      tableName: await db.createLedgerTable(),
      retentionSeconds: 86_400,
      client: db.client(),
    });
  }

  it('answers every sequence of claims, take-overs, closes and clock steps as the model does', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const real: Real = { ledger: await freshLedger(), claims: [], history: new History() };
        const model: Model = { now: T0, jobs: new Map(), claims: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        real.history.check();
        await checkNothingLost(real.ledger, real.history);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps its guarantees when workers call it at once, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(scriptArb, { minLength: WORKERS, maxLength: WORKERS }),
        async (s, scripts) => {
          const ledger = await freshLedger();
          const history = new History();
          const clock = { now: T0 };

          await s.waitFor(
            Promise.all(
              scripts.map((script, id) => runWorker(s, id, script, ledger, history, clock)),
            ),
          );

          history.check();
          await checkNothingLost(ledger, history);
        },
      ),
      { numRuns: 60 },
    );
  });
});
