/**
 * Vitest setup file: what the code under test writes to stdout and stderr goes to the test
 * that wrote it, so that `silent: 'passed-only'` shows it for a failing test alone.
 *
 * Vitest buffers what goes through `console` per test. Powertools' logger and metrics do not
 * use that console: they write to `process.stdout` through a `Console` of their own (unless
 * `POWERTOOLS_DEV` is set, which also pretty-prints over several lines, so a test could no
 * longer read one record per line). Other writers (a child process's output passed on, a
 * local command's report) use `process.stdout.write` too. Here both streams' `write` hand
 * their text to Vitest's console instead; a test that captures the output itself
 * (`captureOutput` in helpers/telemetry.ts) replaces `write` on top of this and restores it.
 */
const PASSED_ON = Symbol.for('codepipeline-job-worker.test-output-to-console');

type Write = typeof process.stdout.write;
type Marked = NodeJS.WriteStream & { [PASSED_ON]?: true };

function toConsole(stream: NodeJS.WriteStream, print: (text: string) => void): void {
  const marked = stream as Marked;
  if (marked[PASSED_ON]) return;
  marked[PASSED_ON] = true;
  const original = stream.write.bind(stream) as Write;
  let passing = false;
  stream.write = ((
    chunk: string | Uint8Array,
    encoding?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ) => {
    // A console that is not Vitest's (interception off) writes here again: let that through.
    if (passing) return original(chunk, encoding as BufferEncoding, callback);
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    // console.log ends what it prints with a line break: one written already is not doubled.
    passing = true;
    try {
      print(text.endsWith('\n') ? text.slice(0, -1) : text);
    } finally {
      passing = false;
    }
    const done = typeof encoding === 'function' ? encoding : callback;
    done?.(null);
    return true;
  }) as Write;
}

// The console of this moment: Vitest's, which tags what it prints with the running test.
const vitestConsole = globalThis.console;
toConsole(process.stdout, (text) => vitestConsole.log(text));
toConsole(process.stderr, (text) => vitestConsole.error(text));
