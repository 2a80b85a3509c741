// Checks what `cdk synth` of the consumer app bundled: the worker function's asset exists, is
// an ES module bundle with its source map, and holds the app's processor, the package's
// handler factory, its artifact API with what that brings (lib-storage, the zip libraries) and
// @aws-sdk/client-s3 (bundled, not left to the runtime's copy), and nothing of aws-cdk-lib or
// of the package's infrastructure and local tooling.
//
//   node .ci/check-consumer-asset.mjs <cdk.out>
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
const fail = (message) => {
  console.error(`consumer asset check: ${message}`);
  process.exit(1);
};
if (!out || !existsSync(out)) fail(`no cloud assembly at ${out}`);

const templates = readdirSync(out).filter((file) => file.endsWith('.template.json'));
const functions = templates.flatMap((file) =>
  Object.entries(JSON.parse(readFileSync(join(out, file), 'utf8')).Resources ?? {})
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, resource]) => ({ id, props: resource.Properties })),
);
const worker = functions.find(
  (fn) => fn.props.Handler === 'index.handler' && /^nodejs/.test(fn.props.Runtime),
);
if (!worker) fail(`no Node.js function with handler index.handler in ${templates.join(', ')}`);

const key = worker.props.Code?.S3Key;
if (typeof key !== 'string') fail(`function ${worker.id} has no asset S3Key`);
const asset = join(out, `asset.${key.replace(/\.zip$/, '')}`);
const bundle = join(asset, 'index.mjs');
if (!existsSync(bundle)) fail(`the function's asset has no index.mjs (${asset})`);
if (!existsSync(`${bundle}.map`)) fail(`the function's bundle has no source map (${bundle}.map)`);

const sources = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')).sources ?? [];
const expected = {
  "the app's processor (src/security-scan.ts)": /(^|\/)src\/security-scan\.ts$/,
  "the package's handler factory": /codepipeline-job-worker\/dist\/lambda\/create-handler\.js$/,
  '@aws-sdk/client-s3 (HeadObject)': /@aws-sdk\/client-s3\/.*HeadObjectCommand/,
  "the package's artifact API (codepipeline-job-worker/artifacts)":
    /codepipeline-job-worker\/dist\/lambda\/artifacts\/job-artifacts\.js$/,
  '@aws-sdk/lib-storage (multipart uploads)': /@aws-sdk\/lib-storage\//,
  'yauzl (extracting inputs)': /node_modules\/yauzl\//,
  'yazl (zipping outputs)': /node_modules\/yazl\//,
};
const missing = Object.entries(expected).filter(
  ([, pattern]) => !sources.some((s) => pattern.test(s)),
);
if (missing.length > 0) fail(`the bundle lacks ${missing.map(([name]) => name).join(', ')}`);
// The function side of the package must stay free of the infrastructure and local tooling.
const forbidden = {
  'aws-cdk-lib': /node_modules\/aws-cdk-lib\//,
  constructs: /node_modules\/constructs\//,
  "the package's cdk or local modules": /codepipeline-job-worker\/dist\/(lib|local)\//,
};
const found = Object.entries(forbidden).filter(([, pattern]) =>
  sources.some((s) => pattern.test(s)),
);
if (found.length > 0) fail(`the bundle holds ${found.map(([name]) => name).join(', ')}`);

const kb = Math.round(readFileSync(bundle).length / 1024);
console.log(
  `consumer asset check: ${worker.id} bundles ${sources.length} sources (${kb} KB), processor, handler factory, artifact API, lib-storage, zip libraries and client-s3 included`,
);
