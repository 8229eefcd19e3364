#!/usr/bin/env bash
# Builds the Pulumi CLI from Go modules, at the version pinned in
# scripts/pulumi-toolchain/go.mod, into a cache directory keyed by that version,
# and writes the dynamic-provider plugin launcher next to it. When go.mod also
# requires the Node.js language host module, builds pulumi-language-nodejs too.
#
# Usage: bash scripts/build-pulumi.sh
#   PULUMI_TOOLCHAIN_DIR  where the binaries go
#                         (default: $HOME/.cache/pulumi-cosmos-copy/pulumi-v<VERSION>/bin)
#   PULUMI_BUILD_FORCE=1  rebuild even if the binaries are already there
#
# Needs only Go. Progress goes to stderr; the last line of stdout is the bin dir.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_dir="$script_dir/pulumi-toolchain"

# The pin is the version of pkg/v3 in the wrapper module's go.mod (sdk/v3 is pinned alongside it).
version="$(sed -n 's#^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 \(v[^[:space:]]*\).*#\1#p' "$module_dir/go.mod")"
if [[ -z "$version" ]]; then
  echo "build-pulumi: no github.com/pulumi/pulumi/pkg/v3 requirement in $module_dir/go.mod" >&2
  exit 1
fi

bin_dir="${PULUMI_TOOLCHAIN_DIR:-$HOME/.cache/pulumi-cosmos-copy/pulumi-$version/bin}"

# Only `pulumi up` in a project directory needs the language host; inline Automation API
# programs do not. See the note in go.mod on why it may be missing.
language_host=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
with_language_host=false
binaries=(pulumi pulumi-resource-pulumi-nodejs)
if grep -q "^[[:space:]]*$language_host v" "$module_dir/go.mod"; then
  with_language_host=true
  binaries+=(pulumi-language-nodejs)
fi

# True when the binaries are in place and the CLI reports the pinned version.
toolchain_ready() {
  local binary
  for binary in "${binaries[@]}"; do
    [[ -x "$bin_dir/$binary" ]] || return 1
  done
  local reported
  reported="$(PULUMI_SKIP_UPDATE_CHECK=true "$bin_dir/pulumi" version 2>/dev/null)" || return 1
  [[ "$reported" == "$version" ]]
}

if [[ "${PULUMI_BUILD_FORCE:-}" != 1 ]] && toolchain_ready; then
  echo "$bin_dir"
  exit 0
fi

mkdir -p "$bin_dir"
# Serialise concurrent builds (a test run and `npm run pulumi` may start together).
if command -v flock >/dev/null; then
  exec 9>"$bin_dir/.build.lock"
  flock 9
fi
if [[ "${PULUMI_BUILD_FORCE:-}" != 1 ]] && toolchain_ready; then
  echo "$bin_dir"
  exit 0
fi

# The machine's Go may default to GOTOOLCHAIN=local; let a newer go directive in the
# pinned modules fetch its toolchain through the module proxy unless told otherwise.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false"

ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"

build() { # build <package> <binary name>
  echo "build-pulumi: building $2 $version (cold: several minutes)" >&2
  local start=$SECONDS
  (cd "$module_dir" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/.$2.tmp" "$1")
  mv -f "$bin_dir/.$2.tmp" "$bin_dir/$2"
  echo "build-pulumi: built $bin_dir/$2 in $((SECONDS - start))s" >&2
}

build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi
if $with_language_host; then
  build "$language_host" pulumi-language-nodejs
fi

# Dynamic providers (pulumi.dynamic.Resource) run as the plugin
# pulumi-resource-pulumi-nodejs, which the CLI looks up on PATH. The plugin is the
# Node.js SDK's own dynamic provider, resolved from the program's working directory
# (require.resolve walks up to the nearest node_modules and also honours NODE_PATH).
cat >"$bin_dir/.pulumi-resource-pulumi-nodejs.tmp" <<'EOF'
#!/bin/sh
entry="$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider"))')" || {
  echo "pulumi-resource-pulumi-nodejs: cannot resolve @pulumi/pulumi from $(pwd); install it there or set NODE_PATH" >&2
  exit 1
}
exec node "$entry" "$@"
EOF
chmod +x "$bin_dir/.pulumi-resource-pulumi-nodejs.tmp"
mv -f "$bin_dir/.pulumi-resource-pulumi-nodejs.tmp" "$bin_dir/pulumi-resource-pulumi-nodejs"

if ! toolchain_ready; then
  echo "build-pulumi: $bin_dir/pulumi does not report version $version" >&2
  exit 1
fi
echo "$bin_dir"
