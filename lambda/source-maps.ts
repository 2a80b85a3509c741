/**
 * Stack traces of the deployed bundle, mapped to the TypeScript sources when they are
 * printed, without Node's `--enable-source-maps`: that flag reads and parses the bundle's
 * whole source map at every cold start (BENCHMARKS.md gives the cost), although a trace is
 * printed only when something goes wrong. Here the map is read the first time a stack trace
 * is formatted, and never on the happy path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapping } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A bundle's source map, and the folder its sources share (the project, at build time). */
export interface LoadedMap {
  readonly map: SourceMap;
  readonly root: string;
}

type MapLoader = () => LoadedMap | undefined;

/** The longest folder prefix common to every path: `../../` or `../../../work/project/`. */
export function commonFolder(paths: readonly string[]): string {
  const [first, ...rest] = paths;
  if (first === undefined) return '';
  let prefix = first.slice(0, first.lastIndexOf('/') + 1);
  for (const path of rest) {
    while (prefix && !path.startsWith(prefix)) {
      prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
    }
  }
  return prefix;
}

/** Reads a source map file; `undefined` if it cannot be read or parsed. */
export function loadMap(file: string): LoadedMap | undefined {
  try {
    const payload = JSON.parse(readFileSync(file, 'utf8'));
    return { map: new SourceMap(payload), root: commonFolder(payload.sources ?? []) };
  } catch {
    return undefined;
  }
}

/** The mapping of a 1-based position of the bundle, if the map has one. */
function lookUp(map: SourceMap, line: number | null, column: number | null) {
  if (line === null || column === null) return undefined;
  const found = map.findEntry(line - 1, column - 1);
  // An empty object when the position has no mapping.
  return 'originalSource' in found ? (found as SourceMapping & { name?: string }) : undefined;
}

/**
 * A stack trace as Node prints it, with the frames in `fileUrl` mapped through the source
 * map: source file, line and column, and the function's name in the sources.
 *
 * @param map - gives the source map of `fileUrl`, or nothing (frames are then left as they are)
 */
export function formatStack(
  error: Error,
  frames: NodeJS.CallSite[],
  fileUrl: string,
  map: MapLoader,
): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = 'Error';
  }
  const lines = frames.map((frame, index) => {
    const loaded = frame.getFileName() === fileUrl ? map() : undefined;
    const sourceMap = loaded?.map;
    const entry = sourceMap && lookUp(sourceMap, frame.getLineNumber(), frame.getColumnNumber());
    if (!loaded || !sourceMap || !entry) return `    at ${frame}`;
    // Sources are relative to where the bundle was built: shown from the project's folder.
    const source = entry.originalSource.startsWith(loaded.root)
      ? entry.originalSource.slice(loaded.root.length)
      : entry.originalSource;
    const where = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    // The function's name in the sources: mapped at its start, or else at the call in the
    // calling frame; failing both, the minified name.
    const caller = frames[index + 1];
    const name =
      lookUp(sourceMap, frame.getEnclosingLineNumber(), frame.getEnclosingColumnNumber())?.name ||
      (caller?.getFileName() === fileUrl
        ? lookUp(sourceMap, caller.getLineNumber(), caller.getColumnNumber())?.name
        : undefined) ||
      frame.getFunctionName();
    // As V8 marks them: frames of awaited calls, and of constructors.
    const kind = frame.isAsync() ? 'async ' : frame.isConstructor() ? 'new ' : '';
    return name ? `    at ${kind}${name} (${where})` : `    at ${kind}${where}`;
  });
  return [header, ...lines].join('\n');
}

/**
 * Maps the stack traces of the module at `moduleUrl` through `<file>.map` from the first
 * trace formatted on. Does nothing when Node already applies source maps, or when there is no
 * map next to the module (tests and local runs, which run the sources themselves).
 *
 * @param moduleUrl - `import.meta.url` of the bundle
 */
export function mapStackTracesLazily(moduleUrl: string | undefined): void {
  if (process.sourceMapsEnabled || !moduleUrl?.startsWith('file:')) return;
  const mapFile = `${fileURLToPath(moduleUrl)}.map`;
  if (!existsSync(mapFile)) return;
  let loaded: LoadedMap | null | undefined;
  const map: MapLoader = () => {
    // Read once; an unreadable map leaves the traces as they are.
    if (loaded === undefined) loaded = loadMap(mapFile) ?? null;
    return loaded ?? undefined;
  };
  Error.prepareStackTrace = (error, frames) => formatStack(error, frames, moduleUrl, map);
}
