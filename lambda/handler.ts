/**
 * The Lambda entry point: configuration is read and checked once, at cold start; a bad
 * value fails the function's initialisation with an error that names the variable.
 */
import { loadConfig } from './config.js';
import { createHandler } from './create-handler.js';

export const handler = createHandler({ config: loadConfig(process.env) });
