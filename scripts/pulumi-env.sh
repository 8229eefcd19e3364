# shellcheck shell=bash
# Source this file to get the project's Pulumi environment:
#
#   . scripts/pulumi-env.sh
#
# It builds the pinned Pulumi CLI if it is missing (scripts/build-pulumi.sh), puts its bin
# dir first on PATH and points Pulumi at local state under <repo>/.state, never Pulumi Cloud:
#   PULUMI_TOOLCHAIN_BIN      the bin dir with pulumi and pulumi-resource-pulumi-nodejs
#   PULUMI_BACKEND_URL        file://<repo>/.state/pulumi
#   PULUMI_HOME               <repo>/.state/pulumi-home (plugins, credentials, workspaces)
#   PULUMI_CONFIG_PASSPHRASE  a fixed local passphrase, unless a passphrase (or file) is already set
#   PULUMI_SKIP_UPDATE_CHECK  true

_pulumi_env_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pulumi_env_out="$(bash "$_pulumi_env_repo/scripts/build-pulumi.sh")" || return 1
export PULUMI_TOOLCHAIN_BIN="${_pulumi_env_out##*$'\n'}"
export PATH="$PULUMI_TOOLCHAIN_BIN:$PATH"

mkdir -p "$_pulumi_env_repo/.state/pulumi" "$_pulumi_env_repo/.state/pulumi-home"
export PULUMI_BACKEND_URL="file://$_pulumi_env_repo/.state/pulumi"
export PULUMI_HOME="$_pulumi_env_repo/.state/pulumi-home"
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="pulumi-cosmos-copy-local"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

unset _pulumi_env_repo _pulumi_env_out
