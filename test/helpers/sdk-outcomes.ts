/**
 * Middleware for the worker's AWS SDK v3 clients in tests: one records the final outcome of
 * every command (after its retries), what the worker saw call by call; the other freezes the
 * client at the invocation's deadline, as Lambda freezes a timed-out invocation.
 */
import { never } from './reliability.js';

export interface CommandOutcome {
  readonly command: string;
  /** `ok`, or the name of the error the caller got. */
  readonly outcome: string;
}

interface ObservableClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: {
        step: 'initialize' | 'finalizeRequest';
        name: string;
        priority: 'high' | 'low';
      },
    ): void;
  };
}

/**
 * Adds the recording middleware to `client` and returns the client.
 *
 * @param client - a CodePipelineClient or DynamoDBClient
 * @param outcomes - where outcomes are appended
 */
export function recordOutcomes<T>(client: T, outcomes: CommandOutcome[]): T {
  (client as unknown as ObservableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'Unknown';
      try {
        const output = await next(args);
        outcomes.push({ command, outcome: 'ok' });
        return output;
      } catch (error) {
        outcomes.push({ command, outcome: error instanceof Error ? error.name : 'NonError' });
        throw error;
      }
    },
    { step: 'initialize', name: 'reliabilityOutcomes', priority: 'high' },
  );
  return client;
}

/** How many sends of the given commands failed (optionally, excluding some error names). */
export function failures(
  outcomes: readonly CommandOutcome[],
  commands: readonly string[],
  except: readonly string[] = [],
): number {
  return outcomes.filter(
    (o) => commands.includes(o.command) && o.outcome !== 'ok' && !except.includes(o.outcome),
  ).length;
}

/**
 * Makes `client` behave like a process Lambda froze at `deadline` (epoch ms): no attempt is
 * sent after it, and an answer that arrives after it is never seen. Runs inside the retry
 * loop, so a call retrying across the deadline stops there too.
 */
export function freezeAt<T>(client: T, deadline: number): T {
  (client as unknown as ObservableClient).middlewareStack.add(
    (next) => async (args) => {
      if (Date.now() >= deadline) return never();
      try {
        const output = await next(args);
        if (Date.now() >= deadline) return never();
        return output;
      } catch (error) {
        if (Date.now() >= deadline) return never();
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'lambdaFreeze', priority: 'low' },
  );
  return client;
}
