#!/usr/bin/env bash
# Starts Azurite and RabbitMQ like scripts/test.sh does and keeps them up until Ctrl+C, for working on tests.
# It prints the environment to export in another shell (also written to scratch/dev-services.env).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SERVICES_ROOT="$root"
export SERVICES_SCRATCH="$root/scratch/dev-services-$$"
. "$root/scripts/lib/services.sh"
mkdir -p "$SERVICES_SCRATCH"
sleeper=
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; stop_services' EXIT
trap 'exit 130' INT TERM
install_missing && start_azurite && start_rabbitmq || exit 1
env | grep '^GPUAUTO_TEST_' | sed 's/^/export /; s/=\(.*\)$/="\1"/' | tee "$root/scratch/dev-services.env"
echo "ready: source scratch/dev-services.env in another shell; Ctrl+C stops the services" >&2
# Sleep in the background and wait, so Ctrl+C or TERM runs the trap at once instead of after the sleep.
while true; do sleep 3600 & sleeper=$!; wait "$sleeper"; done
