import { describe, expect, it } from 'vitest';
import { ArtifactPermissionError, OutputArtifactError } from '../../lambda/artifacts/index.js';
import { OutputLedger } from '../../lambda/artifacts/output-ledger.js';
import { failure } from '../helpers/artifact-store.js';

const HOW = { about: 'Output artifact "Report" (s3://b/k)', call: 'uploadFile' };

/** A ledger of outputs Report and Logs; `before` answers whether an earlier job wrote one. */
function ledger(before: (name: string) => Promise<boolean | undefined> = async () => false) {
  const asked: string[] = [];
  const outputs = new OutputLedger(['Report', 'Logs'], (name) => {
    asked.push(name);
    return before(name);
  });
  return { outputs, asked };
}

describe('OutputLedger', () => {
  it('writes an output the store would not say about, and fails no success over it', async () => {
    const { outputs } = ledger(async (name) => (name === 'Report' ? undefined : false));
    let writes = 0;

    await outputs.write('Report', HOW, async () => writes++);
    const unwrittenLogs = await outputs.check({ kind: 'success' });
    const { outputs: silent } = ledger(async () => undefined);
    const neither = await silent.check({ kind: 'success' });

    expect(writes).toBe(1);
    expect(unwrittenLogs).toMatchObject({
      kind: 'failure',
      message: expect.stringContaining('"Logs"'),
    });
    expect(unwrittenLogs).not.toMatchObject({ message: expect.stringContaining('"Report"') });
    expect(neither).toEqual({ kind: 'success' });
  });

  it('refuses to write an output an earlier job wrote, and counts it for success, asking once', async () => {
    const { outputs, asked } = ledger(async (name) => name === 'Report');
    let writes = 0;

    const error = await failure(outputs.write('Report', HOW, async () => writes++));
    await outputs.write('Logs', HOW, async () => writes++);
    const outcome = await outputs.check({ kind: 'success' });

    expect(error).toBeInstanceOf(OutputArtifactError);
    expect(error.message).toBe(
      'Output artifact "Report" (s3://b/k): an earlier job of this action execution already wrote it; each output artifact is written once (to replace it on purpose, pass { replace: true } to uploadFile)',
    );
    expect(writes).toBe(1);
    expect(outcome).toEqual({ kind: 'success' });
    expect(asked).toEqual(['Report', 'Logs']);
  });

  it('writes over an earlier job with replace, without asking, and then only once', async () => {
    const { outputs, asked } = ledger(async () => true);

    const written = await outputs.write('Report', { ...HOW, replace: true }, async () => 'done');
    const again = await failure(
      outputs.write('Report', { ...HOW, replace: true }, async () => 'twice'),
    );

    expect(written).toBe('done');
    expect(outputs.written('Report')).toBe(true);
    expect(again.message).toContain('was already written');
    expect(asked).toEqual([]);
  });

  it('refuses a second write while the first still waits for the answer about earlier jobs', async () => {
    let answer: (before: boolean) => void = () => {};
    const { outputs } = ledger(
      () =>
        new Promise<boolean>((resolve) => {
          answer = resolve;
        }),
    );

    const first = outputs.write('Report', HOW, async () => 'first');
    const second = await failure(outputs.write('Report', HOW, async () => 'second'));
    answer(false);

    expect(await first).toBe('first');
    expect(second.message).toContain('is being written');
  });

  it('writes nothing when it cannot tell, and leaves the output unwritten for a later try', async () => {
    const refused = new ArtifactPermissionError('could not tell');
    let tries = 0;
    const { outputs } = ledger(async () => {
      tries++;
      if (tries === 1) throw refused;
      return false;
    });
    let writes = 0;

    const error = await failure(outputs.write('Report', HOW, async () => writes++));
    await outputs.write('Report', HOW, async () => writes++);

    expect(error).toBe(refused);
    expect(writes).toBe(1);
    expect(outputs.written('Report')).toBe(true);
  });

  it('fails the success check with the error when it cannot tell, rather than call the output missing', async () => {
    const refused = new ArtifactPermissionError('could not tell');
    const { outputs } = ledger(async () => {
      throw refused;
    });

    const error = await failure(outputs.check({ kind: 'success' }));

    expect(error).toBe(refused);
  });
});
