#!/usr/bin/env bash
# Runs every test on a fresh Debian machine (as root): installs Azurite (npm ci), RabbitMQ and chromium (apt) when
# missing, starts both on 127.0.0.1, runs `dotnet test`, prints "N passed, N failed", stops what it started.
# Usage: bash scripts/test.sh [project-or-solution] [extra dotnet test arguments]
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export SERVICES_ROOT="$root"
export SERVICES_SCRATCH="$root/scratch/test-run-$$"
# shellcheck source=lib/services.sh
. "$root/scripts/lib/services.sh"

target="GpuAutomation.sln"
if [[ $# -gt 0 && ( "$1" == *.csproj || "$1" == *.sln ) ]]; then target=$1; shift; fi

results="$SERVICES_SCRATCH/results"
rm -rf "$SERVICES_SCRATCH"; mkdir -p "$results"
# Tests keep artifacts (the portal's screenshots) next to the results files.
export GPUAUTO_TEST_RESULTS="$results"
trap 'stop_services; rm -rf "$SERVICES_SCRATCH/rabbitmq/mnesia"' EXIT
trap 'exit 130' INT TERM

install_missing || { echo "0 passed, 0 failed"; exit 1; }
start_azurite || { echo "0 passed, 0 failed"; exit 1; }
start_rabbitmq || { echo "0 passed, 0 failed"; exit 1; }

# Build once, then run the test projects one after another (-m:1): some tests stop and start the shared broker.
if ! dotnet build "$target" -nologo -v:q -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test "$target" --no-build -m:1 --results-directory "$results" \
  --blame-hang-timeout 10m "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
echo "$passed passed, $failed failed"
exit "$status"
