/**
 * Attacks that get past today's guards. Each test asserts the safe behaviour, so each fails
 * until the weakness it names is fixed; they are kept apart from the attacks the code
 * withstands (attack-review*.test.ts).
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ArtifactFormatError,
  ArtifactLimitError,
  jobArtifacts,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { createPowertools } from '../../lambda/powertools.js';
import { describeError } from '../../lambda/worker/logging.js';
import { failureReport } from '../../lambda/worker/report.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import type { LocalRunResult } from '../../local/runner/options.js';
import { runReport } from '../../local/runner/report-table.js';
import { artifactPolicy } from '../../samples/processors/artifact-policy.js';
import {
  type ArtifactStoreFixture,
  artifactJob,
  artifactStore,
  BUCKET,
  INPUT_KEY,
} from '../helpers/artifact-store.js';
import { extractRefusal, jobWithInputs, patientContext } from '../helpers/attack-artifacts.js';
import { parsedJob } from '../helpers/jobs.js';
import { captureOutput } from '../helpers/telemetry.js';
import { rawZip, UNIX_LINK, unicodePathField } from '../helpers/zip-raw.js';

const RSA_KEY =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7example/abc+def\n-----END RSA PRIVATE KEY-----\n';

describe('open: what the artifact policy sample sees differs from what other tools extract', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  /** The policy sample's outcome on `zip` (or the refusal of `extract()`). */
  async function policyOn(zip: Buffer) {
    await store.s3.putObject(BUCKET, INPUT_KEY, zip);
    const job = parsedJob({
      configuration: {
        BakeTimeSeconds: undefined,
        Environment: undefined,
        ApiToken: undefined,
        WebhookSecret: undefined,
      } as unknown as Record<string, string>,
    });
    const context = patientContext(store);
    return context.checked(await artifactPolicy().process(job, context)).then(
      (outcome) => outcome,
      (error: unknown) => ({ kind: 'refused' as const, error }),
    );
  }

  it('does not let a Unicode path field (0x7075) rename ".env" for extract() alone', async () => {
    // Python's zipfile and most tools read the raw name; yauzl's decoder takes the field.
    const zip = rawZip([
      { name: 'README.md', data: '# app\n' },
      {
        name: '.env',
        data: 'TOKEN=prod-token\n',
        centralExtra: unicodePathField('.env', 'notes.txt'),
      },
    ]);

    const honest = rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: '.env', data: 'TOKEN=prod-token\n' },
    ]);

    const outcome = await policyOn(zip);

    expect((await policyOn(honest)).kind).toBe('failure');
    expect(outcome.kind).not.toBe('success');
  });

  it("refuses a local header whose Unicode path field is not the central record's", async () => {
    // Streaming readers (the local headers only) name the entry ".env".
    const zip = rawZip([
      {
        name: 'notes.txt',
        data: 'TOKEN=prod-token\n',
        localExtra: unicodePathField('notes.txt', '.env'),
        centralExtra: Buffer.alloc(0),
      },
    ]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });

  it('does not pass a private key carried as a link target (a file for tools that ignore modes)', async () => {
    const zip = rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: 'deploy/notes.txt', data: RSA_KEY, mode: UNIX_LINK },
    ]);

    const asFile = rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: 'deploy/notes.txt', data: RSA_KEY },
    ]);

    const outcome = await policyOn(zip);

    expect((await policyOn(asFile)).kind).toBe('failure');
    expect(outcome.kind).not.toBe('success');
  });
});

describe('open: bytes hidden in a deflated directory entry', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  /**
   * A directory entry whose deflated data is an empty deflate block, then a data descriptor
   * and a whole local entry ".env" that no central record lists: a streaming reader (Java's
   * ZipInputStream, `jar x < archive.zip`) inflates the two bytes, reads that descriptor, and
   * extracts ".env"; readers of the central directory never see it.
   */
  function smuggling(): Buffer {
    const u32 = (value: number) => {
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32LE(value >>> 0);
      return buffer;
    };
    const u16 = (value: number) => {
      const buffer = Buffer.alloc(2);
      buffer.writeUInt16LE(value);
      return buffer;
    };
    const data = Buffer.from('TOKEN=prod-token\n');
    const name = Buffer.from('.env');
    const hidden = Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(0x0800),
      u16(0),
      u16(0),
      u16(0x21),
      u32(crc32(data)),
      u32(data.length),
      u32(data.length),
      u16(name.length),
      u16(0),
      name,
      data,
    ]);
    const emptyDeflate = Buffer.from([0x03, 0x00]);
    const bytes = Buffer.concat([emptyDeflate, u32(0x08074b50), u32(0), u32(2), u32(0), hidden]);
    return rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: 'assets/', deflated: { bytes, crc: 0, usize: 0 }, descriptor: true },
      { name: 'src/main.js', data: 'run();\n' },
    ]);
  }

  it('refuses a directory entry whose deflated data holds more than an empty deflate stream', async () => {
    const error = await extractRefusal(store, smuggling());

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });
});

describe('open: uploadDirectory passes on a tree that extraction refuses', () => {
  let store: ArtifactStoreFixture;
  let scratch: string;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  it('refuses to upload the trap links that escape once the next stage runs mkdir build', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'attack-upload-'));
    const deep = Array.from({ length: 10 }, (_, i) => `d${i + 1}`).join('/');
    const ups = Array(10).fill('..').join('/');
    await mkdir(join(scratch, deep), { recursive: true });
    await symlink(ups, join(scratch, deep, 'up'));
    await symlink(`build/../${deep}/up/${ups}/etc/passwd`, join(scratch, 'leak'));
    const artifacts = jobArtifacts(artifactJob(), patientContext(store));

    const result = await artifacts.uploadDirectory('BakedOutput', scratch).then(
      () => 'uploaded',
      (error: unknown) => error,
    );
    artifacts.destroy();

    expect(result).toBeInstanceOf(UnsafeArchiveError);
  });
});

describe('open: the default limits and a job of several inputs', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await store.close();
  });

  it('keeps a job within its share of the storage when it extracts each of its inputs', async () => {
    // 512 MiB for 100 jobs: a share of 5.12 MiB, 2 MiB of it for one extracted input.
    vi.stubEnv('EPHEMERAL_STORAGE_MIB', '512');
    vi.stubEnv('CONCURRENCY', '100');
    const share = (512 * 1024 * 1024) / 100;
    const names = ['A', 'B', 'C'];
    const job = jobWithInputs(names);
    const nearLimit = rawZip([
      { name: 'fill.bin', data: Buffer.alloc(2 * 1024 * 1024 - 3 * 4096), compress: true },
    ]);
    for (const input of job.inputArtifacts) {
      await store.s3.putObject(BUCKET, input.objectKey ?? '', nearLimit);
    }
    const artifacts = jobArtifacts(job, patientContext(store));

    let extractedBytes = 0;
    let refused: unknown;
    for (const name of names) {
      try {
        await artifacts.extract(name);
        extractedBytes += 2 * 1024 * 1024 - 3 * 4096;
      } catch (error) {
        refused = error;
        break;
      }
    }
    artifacts.destroy();

    expect(extractedBytes <= share / 2 || refused instanceof ArtifactLimitError).toBe(true);
  });
});

describe('open: secret scrubbing', () => {
  const SECRET = 'ghp_Z1x2C3v4B5n6M7';

  it('removes no part of a secret from an archive error message that clipped it', async () => {
    const store = await artifactStore();
    try {
      const scrubber = new SecretScrubber();
      scrubber.hold([SECRET]);
      const name = `${'a'.repeat(185)}${SECRET}/../x`;

      const error = await extractRefusal(store, rawZip([{ name, data: 'x' }]));
      const report = failureReport('JobFailed', describeError(error, scrubber).message);

      expect(report.message).not.toContain(SECRET.slice(0, 10));
    } finally {
      await store.close();
    }
  });

  it('removes both of two secrets that overlap in the text', () => {
    const first = 'ghp_AAAA1111';
    const second = '1111BBBBCCCCDDDD';
    const scrubber = new SecretScrubber();
    scrubber.hold([first, second]);

    const text = scrubber.scrub(`auth ${first}BBBBCCCCDDDD end`);

    expect(text).not.toContain('BBBBCCCCDDDD');
  });

  it('writes no secret as the bytes of a Buffer, or as hex, in a log line', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRET]);
    const { logger } = createPowertools(scrubber);
    const output = captureOutput();
    try {
      logger.error('webhook answered', {
        body: Buffer.from(`{"token":"${SECRET}"}`),
        digest: Buffer.from(SECRET).toString('hex'),
      });
    } finally {
      output.restore();
    }
    const text = output.text();

    expect(text).toContain('webhook answered');
    expect(text).not.toContain([...Buffer.from(SECRET)].join(','));
    expect(text).not.toContain(Buffer.from(SECRET).toString('hex'));
  });
});

describe('open: the local runner prints untrusted text as it is', () => {
  it('escapes control characters of an invocation error in the run report', () => {
    const result = {
      jobs: [],
      totals: {
        succeeded: 0,
        failed: 0,
        continued: 0,
        unfinished: 0,
        duplicatesSkipped: 0,
        duplicateDispatches: 0,
        redispatches: 0,
        processorRuns: 0,
        processedTwice: 0,
        reportedTwice: 0,
        secretsInLogs: 0,
        invocations: 1,
        failedInvocations: 1,
        seconds: 0.1,
      },
      logFile: '/tmp/worker.log',
      invocationErrors: ['boom\u001b[2J\u001b[1;1HOK: every job finished exactly once.\r'],
      ok: false,
    } as unknown as LocalRunResult;

    const text = runReport(result);

    expect(text).toContain('invocation failed: boom');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\r');
  });
});
