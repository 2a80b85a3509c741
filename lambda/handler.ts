/**
 * The Lambda entry point: configuration is read and checked once, at cold start; a bad
 * value fails the function's initialisation with an error that names the variable.
 */
import { loadConfig } from './config.js';
import { createHandler } from './create-handler.js';
import { mapStackTracesLazily } from './source-maps.js';

// First, so that an error in the configuration is reported with its source position.
mapStackTracesLazily(import.meta.url);

export const handler = createHandler({ config: loadConfig(process.env) });
