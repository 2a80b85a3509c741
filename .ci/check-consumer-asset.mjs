// Checks what `cdk synth` of a consumer app (a copy of one of examples/) bundled: the worker
// function's asset exists, is an ES module bundle with its source map, and holds the app's
// processor, the package's handler factory and the parts of the package and the SDK that the
// app uses (bundled, not left to the runtime's copy), and nothing of aws-cdk-lib, of the
// package's infrastructure and local tooling, or of the app's tests and local stand-ins.
//
//   node .ci/check-consumer-asset.mjs <cdk.out> <example: security-scan | codebuild-runner | init-app>
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What each example's bundle must hold, beyond the package's handler factory. */
const EXPECTED = {
  'security-scan': {
    "the app's processor (src/security-scan.ts)": /(^|\/)src\/security-scan\.ts$/,
    '@aws-sdk/client-s3 (HeadObject)': /@aws-sdk\/client-s3\/.*HeadObjectCommand/,
    "the package's artifact API (codepipeline-job-worker/artifacts)":
      /codepipeline-job-worker\/dist\/lambda\/artifacts\/job-artifacts\.js$/,
    '@aws-sdk/lib-storage (multipart uploads)': /@aws-sdk\/lib-storage\//,
    'yauzl (extracting inputs)': /node_modules\/yauzl\//,
    "the package's zip writer (zipping outputs)":
      /codepipeline-job-worker\/dist\/lambda\/artifacts\/zip-writer\.js$/,
  },
  'codebuild-runner': {
    "the app's processor (src/codebuild-runner.ts)": /(^|\/)src\/codebuild-runner\.ts$/,
    '@aws-sdk/client-codebuild (StartBuild)': /@aws-sdk\/client-codebuild\/.*StartBuildCommand/,
    '@aws-sdk/client-codebuild (BatchGetBuilds)':
      /@aws-sdk\/client-codebuild\/.*BatchGetBuildsCommand/,
    '@aws-sdk/client-codebuild (StopBuild)': /@aws-sdk\/client-codebuild\/.*StopBuildCommand/,
    "the package's kit (waitUntil)": /codepipeline-job-worker\/dist\/lambda\/kit\/wait-until\.js$/,
    "the package's kit (continuationState)":
      /codepipeline-job-worker\/dist\/lambda\/kit\/continuation-state\.js$/,
    "the package's kit (parseConfiguration)":
      /codepipeline-job-worker\/dist\/lambda\/kit\/configuration\.js$/,
    "the package's kit (awsClient)": /codepipeline-job-worker\/dist\/lambda\/kit\/aws-client\.js$/,
    "the package's artifact API (writeOutput)":
      /codepipeline-job-worker\/dist\/lambda\/artifacts\/job-artifacts\.js$/,
    "the package's zip writer (zipping the output)":
      /codepipeline-job-worker\/dist\/lambda\/artifacts\/zip-writer\.js$/,
  },
  // The project `codepipeline-job-worker init` scaffolds (.ci/init-app.sh).
  'init-app': {
    "the project's processor (src/processor.ts)": /(^|\/)src\/processor\.ts$/,
    "the project's configuration schema (src/configuration.ts)": /(^|\/)src\/configuration\.ts$/,
    "the package's kit (parseConfiguration)":
      /codepipeline-job-worker\/dist\/lambda\/kit\/configuration\.js$/,
    "the package's artifact API (writeOutput)":
      /codepipeline-job-worker\/dist\/lambda\/artifacts\/job-artifacts\.js$/,
  },
};

const [out, example] = process.argv.slice(2);
const fail = (message) => {
  console.error(`consumer asset check: ${message}`);
  process.exit(1);
};
if (!out || !existsSync(out)) fail(`no cloud assembly at ${out}`);
if (!Object.hasOwn(EXPECTED, example ?? '')) {
  fail(`say which example this is: one of ${Object.keys(EXPECTED).join(', ')}, not ${example}`);
}

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
  "the package's handler factory": /codepipeline-job-worker\/dist\/lambda\/create-handler\.js$/,
  ...EXPECTED[example],
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
  'aws-sdk-client-mock': /node_modules\/aws-sdk-client-mock\//,
  // The app's own files are the sources outside node_modules.
  "the app's tests or stand-ins": /^(?!.*node_modules\/).*(^|\/)(test\/|stand-ins\.ts$)/,
};
const found = Object.entries(forbidden).filter(([, pattern]) =>
  sources.some((s) => pattern.test(s)),
);
if (found.length > 0) fail(`the bundle holds ${found.map(([name]) => name).join(', ')}`);

const kb = Math.round(readFileSync(bundle).length / 1024);
console.log(
  `consumer asset check (${example}): ${worker.id} bundles ${sources.length} sources (${kb} KB), with ${Object.keys(expected).join(', ')}`,
);
