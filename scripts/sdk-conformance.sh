#!/usr/bin/env bash
# Runs the official @azure/cosmos SDK's public tests (test/public/functional and test/public/integration of
# sdk/cosmosdb/cosmos in Azure/azure-sdk-for-js) against cosmos-emulator, as the measure of its conformance.
# The suite is not ours: it stays in the checkout given, and is copied into a scratch directory for each run.
#
# Usage: bash scripts/sdk-conformance.sh <checkout> [spec-glob ...]
#   <checkout>   an azure-sdk-for-js checkout: its root, or its sdk/cosmosdb/cosmos directory
#   spec-glob    run only the spec files whose path under test/public ends with a match of the glob, e.g.
#                item/item.spec.ts, 'functional/*.spec.ts', 'changeFeed*'; all of them when none is given
#
# Steps:
#   1. builds the project (tsc), for the emulator and this script's helpers in dist/scripts/sdk-conformance;
#   2. installs the suite's dependencies (vitest and what the tests import, versions below; @azure/cosmos at
#      the project's version) into a cache keyed by those versions, SDK_CONFORMANCE_CACHE_DIR or
#      ~/.cache/pulumi-cosmos-copy/sdk-conformance-<hash>/, reused by later runs;
#   3. copies the package's test/ into the scratch directory (.cache/sdk-conformance/suite, ignored by git,
#      eslint and prettier) with the tests' `../../src/...` imports rewritten to the installed SDK's dist/esm;
#   4. starts cosmos-emulator (HTTPS, a fresh data directory, a free port; extra flags from
#      SDK_CONFORMANCE_EMULATOR_ARGS, e.g. "--partitions 4") and waits for its ready line;
#   5. runs vitest on the selected files one file at a time, the tests pointed at the emulator by the suite's
#      own ACCOUNT_HOST (https://localhost:<port>; the well-known key is the suite's default ACCOUNT_KEY);
#   6. stops the emulator and writes, in .cache/sdk-conformance/:
#        results.txt           per-file passed/failed/skipped, totals, pass rates with and without the files
#                              scripts/sdk-conformance/out-of-scope.txt lists (also printed)
#        failures.txt          every failed test with the first line of its error
#        failure-summary.txt   those first lines grouped, most frequent first, with the files they occur in
#        results.json          each test's outcome and error, and errors outside tests (vitest-reporter.ts)
#        vitest.log, emulator.log                         the runners' own output
#
# Per-test timeout SDK_CONFORMANCE_TEST_TIMEOUT_MS (default 120000; hooks get 2.5 times that). The emulator's
# port is never 8081, so the tests' compute-gateway cases (CGW_*), which swap 8081 for 8903, address it too
# (and are out of scope), and the SSL test that dials https://localhost:8081 itself finds nothing there.
# Exits non-zero only when the run itself could not be made (no results); failing tests are the measure.
set -euo pipefail

# The suite's dependencies, pinned: vitest as the checkout's catalog had it (^4.0.8, the release current at
# commit 107a3c79), the rest as the checkout's package.json and catalog name them.
suite_dependencies=(
  "vitest@4.0.16"
  "@azure/identity@4.13.0"
  "nock@13.5.6"
  "assertion-error@2.0.1"
)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
scratch_dir="$repo_root/.cache/sdk-conformance"
suite_dir="$scratch_dir/suite"
helpers_dir="$repo_root/dist/scripts/sdk-conformance"
results_json="$scratch_dir/results.json"
test_timeout_ms="${SDK_CONFORMANCE_TEST_TIMEOUT_MS:-120000}"
ready_timeout_s=60
stop_timeout_s=30

say() { echo "sdk-conformance: $*" >&2; }
fail() {
  say "$*"
  exit 1
}

[[ $# -ge 1 ]] || fail "usage: bash scripts/sdk-conformance.sh <azure-sdk-for-js checkout> [spec-glob ...]"
checkout="$(cd "$1" 2>/dev/null && pwd)" || fail "'$1' is not a directory."
shift
if [[ -d "$checkout/sdk/cosmosdb/cosmos/test/public" ]]; then
  package_dir="$checkout/sdk/cosmosdb/cosmos"
elif [[ -d "$checkout/test/public" && -d "$checkout/src" ]]; then
  package_dir="$checkout"
else
  fail "'$checkout' has neither sdk/cosmosdb/cosmos/test/public nor test/public: not an azure-sdk-for-js checkout."
fi
[[ "$test_timeout_ms" =~ ^[1-9][0-9]*$ ]] ||
  fail "SDK_CONFORMANCE_TEST_TIMEOUT_MS must be a positive whole number of milliseconds, got '$test_timeout_ms'."

# Install the suite's dependencies once per set of versions; a marker written last says the install is whole.
install_suite_dependencies() {
  local cosmos_version
  cosmos_version="$(node -p 'require(process.argv[1]).dependencies["@azure/cosmos"]' "$repo_root/package.json")"
  [[ "$cosmos_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    fail "package.json pins @azure/cosmos as '$cosmos_version'; the suite needs an exact version to install."
  local specs=("@azure/cosmos@$cosmos_version" "${suite_dependencies[@]}")
  local key
  key="$(printf '%s\n' "${specs[@]}" | sha256sum | cut -c1-12)"
  cache_dir="${SDK_CONFORMANCE_CACHE_DIR:-$HOME/.cache/pulumi-cosmos-copy/sdk-conformance-$key}"
  if [[ -f "$cache_dir/installed" ]]; then
    say "suite dependencies cached in $cache_dir"
    return
  fi
  mkdir -p "$cache_dir"
  # Serialise installs into the shared cache (several worktrees may run this at once).
  exec 8>"$cache_dir/.install.lock"
  flock 8
  if [[ ! -f "$cache_dir/installed" ]]; then
    say "installing ${specs[*]} into $cache_dir"
    printf '{ "name": "sdk-conformance-suite", "private": true, "type": "module" }\n' >"$cache_dir/package.json"
    (cd "$cache_dir" && npm install --no-audit --no-fund --save-exact "${specs[@]}" >&2) ||
      fail "npm install of the suite's dependencies failed (see above)."
    printf '%s\n' "${specs[@]}" >"$cache_dir/installed"
  fi
  flock -u 8
}

# Resolve the globs to spec files under test/public/{functional,integration}, as paths relative to the suite.
select_spec_files() {
  local selected=() glob match found
  shopt -s globstar nullglob
  for glob in "$@"; do
    found=0
    # shellcheck disable=SC2231 # $glob is meant to expand
    for match in "$suite_dir"/test/public/**/$glob; do
      [[ "$match" =~ /test/public/(functional|integration)/.*\.spec\.ts$ ]] || continue
      selected+=("${match#"$suite_dir/"}")
      found=1
    done
    ((found)) || fail "no spec file under test/public/{functional,integration} matches '$glob'."
  done
  shopt -u globstar nullglob
  spec_files=("${selected[@]}")
}

write_vitest_config() {
  cat >"$suite_dir/vitest.config.mjs" <<EOF
// Written by scripts/sdk-conformance.sh: the suite's own settings (vitest.shared.config.ts and
// vitest.int.config.ts of the checkout) less coverage and junit, one file at a time, bounded timeouts.
// Required at run time: vite bundles what a config imports, which a CommonJS module does not survive.
import { createRequire } from "node:module";
const { ConformanceReporter } = createRequire(import.meta.url)("$helpers_dir/vitest-reporter.js");

export default {
  test: {
    include: ["test/public/functional/**/*.spec.ts", "test/public/integration/**/*.spec.ts"],
    testTimeout: $test_timeout_ms,
    hookTimeout: $((test_timeout_ms * 5 / 2)),
    fakeTimers: { toFake: ["setTimeout", "Date"] },
    typecheck: { enabled: false },
    watch: false,
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ["default", new ConformanceReporter("$results_json")],
  },
};
EOF
}

emulator_pid=""
stop_emulator() {
  [[ -n "$emulator_pid" ]] || return 0
  if kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid"
    local waited=0
    while kill -0 "$emulator_pid" 2>/dev/null && ((waited < stop_timeout_s * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -0 "$emulator_pid" 2>/dev/null && kill -KILL "$emulator_pid"
  fi
  emulator_pid=""
}
trap stop_emulator EXIT

# Starts the emulator on a free port and sets emulator_port once its ready line is in the log.
start_emulator() {
  local data_dir="$scratch_dir/emulator-data" log="$scratch_dir/emulator.log"
  rm -rf "$data_dir"
  # shellcheck disable=SC2086 # the extra flags are meant to split into words
  node "$repo_root/bin/cosmos-emulator.js" --data-dir "$data_dir" --port 0 ${SDK_CONFORMANCE_EMULATOR_ARGS:-} \
    >"$log" 2>&1 &
  emulator_pid=$!
  local deadline=$((SECONDS + ready_timeout_s)) ready_line=""
  until ready_line="$(grep -m1 'cosmos-emulator ready at' "$log")"; do
    kill -0 "$emulator_pid" 2>/dev/null || fail "cosmos-emulator exited before it was ready: $(cat "$log")"
    ((SECONDS < deadline)) || fail "cosmos-emulator not ready after $ready_timeout_s s; its log: $log"
    sleep 0.1
  done
  emulator_port="$(sed -E 's#.*ready at https?://[^:/]+:([0-9]+).*#\1#' <<<"$ready_line")"
  [[ "$emulator_port" =~ ^[0-9]+$ ]] || fail "cannot read the port from the emulator's line '$ready_line'."
  emulator_certificate="$data_dir/cert.pem"
  say "cosmos-emulator ready on port $emulator_port (pid $emulator_pid)"
}

say "building the project"
(cd "$repo_root" && npx tsc -p tsconfig.json) || fail "the project does not build (see above)."
install_suite_dependencies
mkdir -p "$suite_dir"
node "$helpers_dir/prepare-suite.js" "$package_dir" "$suite_dir" "$cache_dir/node_modules/@azure/cosmos/dist/esm" >&2
ln -sfn "$cache_dir/node_modules" "$suite_dir/node_modules"
printf '{ "name": "sdk-conformance-suite", "private": true, "type": "module" }\n' >"$suite_dir/package.json"
write_vitest_config
spec_files=()
[[ $# -eq 0 ]] || select_spec_files "$@"

start_emulator
rm -f "$results_json"
say "running vitest on ${#spec_files[@]} selected file(s) (0: all); its output goes to $scratch_dir/vitest.log"
started=$SECONDS
set +e
(
  cd "$suite_dir" &&
    ACCOUNT_HOST="https://localhost:$emulator_port" \
      NODE_EXTRA_CA_CERTS="$emulator_certificate" \
      NODE_OPTIONS="--dns-result-order=ipv4first" \
      node_modules/.bin/vitest run --config vitest.config.mjs "${spec_files[@]}"
) >"$scratch_dir/vitest.log" 2>&1
vitest_status=$?
set -e
stop_emulator
say "vitest exited with $vitest_status after $((SECONDS - started)) s"
[[ -f "$results_json" ]] ||
  fail "vitest wrote no results; the end of $scratch_dir/vitest.log: $(tail -20 "$scratch_dir/vitest.log")"

node "$helpers_dir/report.js" \
  --results "$results_json" \
  --suite "$suite_dir" \
  --out-of-scope "$script_dir/sdk-conformance/out-of-scope.txt" \
  --output "$scratch_dir"
