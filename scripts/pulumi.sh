#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the pinned Pulumi CLI with the project's local state
# (see scripts/pulumi-env.sh), building it first if it is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/pulumi-env.sh"
# npm runs scripts from the package root; run pulumi where `npm run` was invoked.
cd "${INIT_CWD:-$PWD}"
exec pulumi "$@"
