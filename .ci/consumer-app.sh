#!/usr/bin/env bash
# The package as a user gets it: packed into a tarball once, installed into a fresh copy of
# each example app (outside this repository, with its other dependencies from the registry),
# then each app's own type check, tests, `cdk synth` with real bundling, cfn-lint on the
# synthesized templates, and a local run through the package's bin. Any failing step fails
# CI, so a broken export, type, bin or bundling path of the package breaks the build here. Between them the examples use every
# entry point of the package and its bin (test/unit/example-apps.test.ts).
#
#   bash .ci/consumer-app.sh                       every example; removes the copies afterwards
#   bash .ci/consumer-app.sh examples/NAME         one example
#   KEEP_CONSUMER_APP=1 bash .ci/...               keeps the copies (their path is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Every example app; test/unit/example-apps.test.ts checks that none is left out.
EXAMPLES=(examples/security-scan examples/codebuild-runner)
if [[ $# -gt 0 ]]; then EXAMPLES=("$@"); fi
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# npm, vitest and the cdk CLI must not wait for a terminal or an update check.
export CI=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

WORK=$(mktemp -d "${TMPDIR:-/tmp}/consumer-app-XXXXXX")
cleanup() {
  if [[ -n "${KEEP_CONSUMER_APP:-}" ]]; then echo "consumer apps kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
SECONDS=0
step() { printf '\n== consumer app: %s (%d s so far)\n' "$1" "$SECONDS"; }

step "npm pack (builds the package through its prepack script)"
# The last line of its output is the tarball's file name.
TARBALL=$(npm pack --silent --pack-destination "$WORK" | tail -n 1)
TARBALL="$WORK/$TARBALL"
echo "$TARBALL"

# cfn-lint over templates: an error fails CI; warnings are printed and do not (those of these
# examples are W3005, a DependsOn that CDK itself writes next to a GetAtt of the same
# resource). Without cfn-lint on PATH the step is skipped, saying so.
lint_templates() {
  if ! command -v cfn-lint >/dev/null; then
    echo "cfn-lint not on PATH: template lint skipped"
    return 0
  fi
  cfn-lint --version
  cfn-lint --non-zero-exit-code error --format parseable -- "$@"
}

# One app: a fresh copy, the tarball installed into it, and its checks.
check_example() {
  local example=$1 name app resolved
  name=$(basename "$example")
  app="$WORK/$name"

  step "$name: a fresh copy of $example"
  mkdir "$app"
  # The files a user would have: no node_modules, no build output, no lock file.
  tar -C "$ROOT/$example" --exclude=node_modules --exclude=cdk.out --exclude=package-lock.json -cf - . |
    tar -C "$app" -xf -
  cd "$app"

  step "$name: npm install the tarball and the app's declared dependencies"
  # The example's package.json declares its install-script policy (allowScripts); a dependency
  # with an install script it does not cover fails the install instead of running unreviewed.
  # The package itself has none (it is built by `prepack`, before packing), so its tarball
  # needs no entry there.
  npm install --no-audit --no-fund --strict-allow-scripts "$TARBALL"
  # The package must come from this tarball, not from a registry.
  resolved=$(node -p "require('./package-lock.json').packages['node_modules/codepipeline-job-worker'].resolved")
  [[ "$resolved" == file:*"/$(basename "$TARBALL")" ]] || { echo "$name: installed from $resolved, not the tarball" >&2; exit 1; }

  step "$name: type check (tsc --noEmit)"
  npx --no-install tsc --noEmit

  step "$name: tests (vitest run)"
  npx --no-install vitest run

  step "$name: cdk synth (bundling src/handler.ts with esbuild from the app's root)"
  npx --no-install cdk synth --quiet
  node "$ROOT/.ci/check-consumer-asset.mjs" "$app/cdk.out" "$name"

  step "$name: cfn-lint on the synthesized templates"
  lint_templates cdk.out/*.template.json

  step "$name: local run through the bin (codepipeline-job-worker run)"
  npx --no-install codepipeline-job-worker run --entry src/handler.ts --jobs jobs.json
  cd "$ROOT"
}

for example in "${EXAMPLES[@]}"; do
  [[ -f "$example/package.json" ]] || { echo "no example app at $example" >&2; exit 1; }
  check_example "${example%/}"
done

printf '\nconsumer app: every step of %s passed in %d s\n' "${EXAMPLES[*]}" "$SECONDS"

# A project scaffolded by `codepipeline-job-worker init` from the same tarball, unless only
# some examples were asked for.
if [[ $# -eq 0 ]]; then bash "$ROOT/.ci/init-app.sh" "$TARBALL"; fi
