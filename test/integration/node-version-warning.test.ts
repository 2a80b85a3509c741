/**
 * The AWS SDK's Node.js version warning is noise in a local run or a test (they may run on
 * Node.js 20; the function runs a newer one): a user's test that imports the testing entry and
 * runs a processor locally prints none. The bin's run is covered in cli.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const TESTING_ENTRY = join(process.cwd(), 'local', 'testing', 'index.ts');

describe('the testing entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-version-warning-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("silences the SDK's Node.js version warning for runLocally", async () => {
    const script = join(dir, 'run-locally.mts');
    writeFileSync(
      script,
      `import { runLocally } from ${JSON.stringify(TESTING_ENTRY)};
const result = await runLocally({
  processor: { name: 'quiet', process: async () => ({ kind: 'success', summary: 'done' }) },
  actionType: { category: 'Test', provider: 'Quiet' },
  jobs: [{ configuration: {} }],
  tickMs: 100,
});
process.stdout.write(JSON.stringify({ ok: result.ok }));
`,
    );
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...env } = process.env;

    const { stdout, stderr } = await run(TSX, [script], { env, timeout: 120_000 });

    expect(JSON.parse(stdout)).toEqual({ ok: true });
    expect(stderr).not.toContain('NodeVersionSupportWarning');
  }, 120_000);
});
