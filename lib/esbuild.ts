/**
 * esbuild, which the construct runs at synth (to read an entry's exports) and NodejsFunction
 * runs to bundle: an optional peer dependency, loaded on first use.
 */
import type * as Esbuild from 'esbuild';
import { requirePeer } from './optional-peer.js';

let loaded: typeof Esbuild | undefined;

/**
 * The installed esbuild.
 *
 * @throws MissingPeerDependencyError when esbuild is not installed
 */
export function esbuild(): typeof Esbuild {
  loaded ??= requirePeer<typeof Esbuild>('esbuild', 'Bundling the worker');
  return loaded;
}
