#!/usr/bin/env bash
# A new action project as a user starts one: `codepipeline-job-worker init` run from the packed
# tarball (through npx, as `npx codepipeline-job-worker init` runs it from the registry) into a
# fresh folder, then the project's own install, tests, local run, type check and `cdk synth`,
# with no file edited; last, a typo'd construct prop must fail `cdk synth` (its cdk.json
# type-checks before the app runs). Any failing step fails CI.
#
#   bash .ci/init-app.sh TARBALL        with the tarball .ci/consumer-app.sh packed
#   bash .ci/init-app.sh                packs one first
#   KEEP_INIT_APP=1 bash .ci/init-app.sh    keeps the project (its path is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
export CI=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

WORK=$(mktemp -d "${TMPDIR:-/tmp}/init-app-XXXXXX")
cleanup() {
  if [[ -n "${KEEP_INIT_APP:-}" ]]; then echo "init app kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
SECONDS=0
step() { printf '\n== init app: %s (%d s so far)\n' "$1" "$SECONDS"; }

if [[ $# -gt 0 ]]; then
  TARBALL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  step "npm pack (builds the package through its prepack script)"
  TARBALL="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
fi
[[ -f "$TARBALL" ]] || { echo "no tarball at $TARBALL" >&2; exit 1; }

step "init from the tarball (npx --package TARBALL codepipeline-job-worker init)"
cd "$WORK"
# Stdin is not a terminal: no prompt, the flags and the defaults.
npx --yes --package "$TARBALL" codepipeline-job-worker init my-action --package "$TARBALL" \
  --category Build --property Target:required --property ApiToken:required:secret \
  --property Notes --inputs 1 --outputs 0-1 </dev/null
app="$WORK/my-action"
cd "$app"

step "npm install (the tarball, as init's --package wrote it, and the project's dependencies)"
npm install --no-audit --no-fund --strict-allow-scripts
resolved=$(node -p "require('./package-lock.json').packages['node_modules/codepipeline-job-worker'].resolved")
[[ "$resolved" == file:*"/$(basename "$TARBALL")" ]] || { echo "init app: installed from $resolved, not the tarball" >&2; exit 1; }

step "npm test"
npm test

step "local run (npm start: codepipeline-job-worker run --entry src/handler.ts --jobs jobs.json)"
npm start

step "type check (tsc --noEmit)"
npx --no-install tsc --noEmit

step "cdk synth (type-checks, then bundles src/handler.ts with esbuild)"
npx --no-install cdk synth --quiet
node "$ROOT/.ci/check-consumer-asset.mjs" "$app/cdk.out" init-app

step "a typo'd construct prop fails cdk synth"
sed -i 's/  entry: /  entryy: /' bin/app.ts
grep -q 'entryy:' bin/app.ts || { echo "init app: bin/app.ts has no entry prop to misspell" >&2; exit 1; }
if npx --no-install cdk synth --quiet >"$WORK/typo.log" 2>&1; then
  echo "init app: cdk synth passed with a misspelt prop in bin/app.ts" >&2
  exit 1
fi
grep -q "entryy" "$WORK/typo.log" || { cat "$WORK/typo.log" >&2; echo "init app: the failure does not name the prop" >&2; exit 1; }
grep -m1 "entryy" "$WORK/typo.log"

printf '\ninit app: every step passed in %d s\n' "$SECONDS"
