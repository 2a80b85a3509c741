/**
 * Runs the CodePipeline job-worker API emulator until SIGINT/SIGTERM (`npm run emulator`).
 *
 * npx tsx local/emulator/cli.ts [--port 4599] [--host 127.0.0.1] [--dispatch-timeout-ms 30000]
 *   [--action-timeout-ms 86400000] [--latency-ms 0] [--throttle-rate 0] [--error-rate 0]
 *   [--duplicate-rate 0] [--seed 1] [--account-id 123456789012] [--region us-east-1]
 *   [--access-key-id local --secret-access-key local] [--strict-signatures]
 *   [--action-types file.json] [--quiet]
 */
import { emulatorCli } from './emulator-cli.js';

await emulatorCli(process.argv.slice(2), 'npx tsx local/emulator/cli.ts');
