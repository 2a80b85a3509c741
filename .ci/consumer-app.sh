#!/usr/bin/env bash
# The package as a user gets it: packed into a tarball, installed into a fresh copy of
# examples/security-scan (outside this repository, with its other dependencies from the
# registry), then the app's own type check, tests, `cdk synth` with real bundling, and a
# local run through the package's bin. Any failing step fails CI, so a broken export, type,
# bin or bundling path of the package breaks the build here.
#
#   bash .ci/consumer-app.sh            packs, installs and checks; removes the copy afterwards
#   KEEP_CONSUMER_APP=1 bash .ci/...    keeps the copy (its path is printed) to look into
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
EXAMPLE=examples/security-scan
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# npm, vitest and the cdk CLI must not wait for a terminal or an update check.
export CI=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

WORK=$(mktemp -d "${TMPDIR:-/tmp}/consumer-app-XXXXXX")
cleanup() {
  if [[ -n "${KEEP_CONSUMER_APP:-}" ]]; then echo "consumer app kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
SECONDS=0
step() { printf '\n== consumer app: %s (%d s so far)\n' "$1" "$SECONDS"; }

step "npm pack (builds the package through its prepack script)"
# The last line of its output is the tarball's file name.
TARBALL=$(npm pack --silent --pack-destination "$WORK" | tail -n 1)
TARBALL="$WORK/$TARBALL"
echo "$TARBALL"

step "a fresh copy of $EXAMPLE"
APP="$WORK/app"
mkdir "$APP"
# The files a user would have: no node_modules, no build output, no lock file.
tar -C "$EXAMPLE" --exclude=node_modules --exclude=cdk.out --exclude=package-lock.json -cf - . |
  tar -C "$APP" -xf -
cd "$APP"

step "npm install the tarball and the app's declared dependencies"
# The example's package.json declares its install-script policy (allowScripts); a dependency
# with an install script it does not cover fails the install instead of running unreviewed.
# The package itself has none (it is built by `prepack`, before packing), so its tarball
# needs no entry there.
npm install --no-audit --no-fund --strict-allow-scripts "$TARBALL"
# The package must come from this tarball, not from a registry.
RESOLVED=$(node -p "require('./package-lock.json').packages['node_modules/codepipeline-job-worker'].resolved")
[[ "$RESOLVED" == file:*"/$(basename "$TARBALL")" ]] || { echo "installed from $RESOLVED, not the tarball" >&2; exit 1; }

step "type check (tsc --noEmit)"
npx --no-install tsc --noEmit

step "tests (vitest run)"
npx --no-install vitest run

step "cdk synth (bundling src/handler.ts with esbuild from the app's root)"
npx --no-install cdk synth --quiet
node "$ROOT/.ci/check-consumer-asset.mjs" "$APP/cdk.out"

step "local run through the bin (codepipeline-job-worker run)"
npx --no-install codepipeline-job-worker run --entry src/handler.ts --jobs jobs.json

printf '\nconsumer app: every step passed in %d s\n' "$SECONDS"
