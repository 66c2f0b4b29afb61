#!/bin/sh
# The redis-cluster service of docker/compose.scale.yml: joins the nodes in REDIS_NODES (service
# names, port 6379) into a Redis Cluster with one replica per primary, then waits until every node
# says cluster_state:ok. CLUSTER MEET (which redis-cli --cluster create sends) takes addresses, not
# names, so the names are resolved here; the nodes announce their names themselves.
set -eu
addresses=""
for name in $REDIS_NODES; do
  address=$(getent hosts "$name" | awk '{ print $1; exit }')
  [ -n "$address" ] || { echo "redis-cluster: cannot resolve $name" >&2; exit 1; }
  addresses="$addresses $address:6379"
done
if redis-cli -h "${REDIS_NODES%% *}" cluster info | grep -q '^cluster_state:ok'; then
  echo "redis-cluster: already a cluster"
else
  # shellcheck disable=SC2086 # one argument per node.
  redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes
fi
tries=0
for name in $REDIS_NODES; do
  until redis-cli -h "$name" cluster info | grep -q '^cluster_state:ok'; do
    tries=$((tries + 1))
    [ "$tries" -lt 150 ] || { echo "redis-cluster: $name never reached cluster_state:ok" >&2; exit 1; }
    sleep 0.2
  done
done
redis-cli -h "${REDIS_NODES%% *}" cluster nodes
echo "redis-cluster: cluster_state:ok on every node"
