#!/usr/bin/env bash
# `make scale-bench`: `npm run bench` against the scale stack (docker/compose.scale.yml), run in the
# tests container so the issuer http://balancer:3000 and the mail catcher resolve:
#   1. one instance: idp2 and idp3 stopped, so the balancer sends everything to idp1;
#   2. three instances: idp2 and idp3 started again, the same flows, with run 1 as the baseline.
# Each run signs up its own accounts (confirmed through the mail catcher), uses the e2e clients
# (e2e-web, e2e-second, e2e-machine for the reports API, e2e-tv for the device flow), and reports
# per flow throughput, latency, errors, the share of requests each instance answered (HAProxy's
# X-Latchkey-Instance header) and the CPU each container used per operation (its cgroup's CPU
# accounting, read by the bench before and after each phase). Run 2 adds each flow's throughput
# against run 1. Always removes the stack and its volumes; exits non-zero when a run fails.
#   scripts/scale-bench.sh [bench options]   e.g. --duration 5 --concurrency 16 --flows sso,refresh
#   SCALE_BENCH_OUT=DIR  keeps both JSON reports there (one-instance.json, three-instances.json)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# shellcheck source=scripts/scale-stack.sh
. scripts/scale-stack.sh
scale_stack_init scale-bench
say() { scale_say "$@"; }
out=${SCALE_BENCH_OUT:-}
if [ -n "$out" ]; then mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1; fi

scale_stack_up

# The containers whose CPU is reported, and where the engine host keeps their CPU accounting:
# cgroup v1 (cpuacct.usage) or v2 (cpu.stat), under the cgroupfs or the systemd driver. Looked up
# inside a container, so the paths are the engine host's even when the engine runs in a VM.
services=(idp1 idp2 idp3 redis-1 redis-2 redis-3 redis-4 redis-5 redis-6 postgres balancer)
pairs=()
for service in "${services[@]}"; do
  pairs+=("$service=$("${compose[@]}" ps -q "$service")")
done
cpu_args=()
while read -r arg; do [ -n "$arg" ] && cpu_args+=("$arg"); done < <(
  "${compose[@]}" run --rm --no-deps -T -v /sys/fs/cgroup:/host-cgroup:ro tests sh -c '
    for pair in "$@"; do
      name=${pair%%=*} id=${pair#*=}
      for file in cpuacct/docker/$id/cpuacct.usage cpu,cpuacct/docker/$id/cpuacct.usage \
          system.slice/docker-$id.scope/cpu.stat docker/$id/cpu.stat; do
        if [ -r "/host-cgroup/$file" ]; then echo "--cpu=$name=/host-cgroup/$file"; break; fi
      done
    done' sh "${pairs[@]}"
)
if [ "${#cpu_args[@]}" -lt "${#services[@]}" ]; then
  echo "scale-bench: found the CPU accounting of ${#cpu_args[@]} of ${#services[@]} containers; the report shows only those" >&2
fi

# The bench in the tests container, never starting the services it depends on (--no-deps): run 1
# has two of them stopped on purpose.
bench() {
  "${compose[@]}" run --rm --no-deps -T -v "$results:/results" -v /sys/fs/cgroup:/host-cgroup:ro \
    tests node bench/run.ts \
    --issuer http://balancer:3000 \
    --client-id e2e-web --client-secret "$E2E_CLIENT_SECRET" --redirect-uri http://127.0.0.1:7001/callback \
    --second-client-id e2e-second --second-client-secret "$E2E_SECOND_CLIENT_SECRET" \
    --second-redirect-uri http://127.0.0.1:7002/callback \
    --machine-client-id e2e-machine --machine-client-secret "$E2E_MACHINE_CLIENT_SECRET" \
    --machine-resource https://reports.e2e.example --machine-scope reports:read \
    --device-client-id e2e-tv --mail-api http://mail:1080 --instance-header X-Latchkey-Instance \
    --flows password-login,sso,refresh,userinfo,device,client-credentials \
    --accounts 8 "${cpu_args[@]}" "$@"
}
# Options given to this script go last, so they win over the defaults above. Sign-ups are
# limited per source address (20 per 15 minutes): 8 accounts per run leaves room for both.
extra=("$@")

say "run 1: one instance (idp2 and idp3 stopped; the balancer sends everything to idp1)"
"${compose[@]}" stop idp2 idp3 >/dev/null
# Two failed health checks half a second apart take an instance out of the rotation.
sleep 4
bench --save /results/one-instance.json "${extra[@]}"
one=$?

say "run 2: three instances (idp2 and idp3 started again), run 1 as the baseline"
"${compose[@]}" start idp2 idp3 >/dev/null
if ! "${compose[@]}" up -d --wait --no-recreate balancer; then
  echo "scale-bench: idp2 and idp3 did not come back" >&2
fi
# Two good health checks a second apart put an instance back.
sleep 4
if [ -e "$results/one-instance.json" ]; then baseline=(--baseline /results/one-instance.json); else baseline=(); fi
bench "${baseline[@]}" --save /results/three-instances.json "${extra[@]}"
three=$?

if [ -n "$out" ]; then
  cp "$results"/*.json "$out"/ 2>/dev/null && echo "the JSON reports are in $out"
fi
say "run 1 (one instance) exit ${one}, run 2 (three instances) exit ${three}"
[ "$one" = 0 ] && [ "$three" = 0 ]
