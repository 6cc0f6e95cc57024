#!/usr/bin/env bash
# servers.sh starts and stops the throwaway Redis servers that `make test` and `make bench`
# run the suite against, all on free loopback ports, with redis-server and redis-cli only:
#
#   - a single redis-server;
#   - a Redis Cluster of 6 nodes (3 masters, 3 replicas, cluster-node-timeout 1000 ms, so a
#     killed master's replica is promoted within a few seconds);
#   - a Sentinel set: a primary, its two replicas and 3 sentinels (`redis-server CONF
#     --sentinel`) monitoring it as "ginsms-test" (quorum 2, down-after 1000 ms,
#     failover-timeout 5000 ms). Two replicas, as the README recommends for sms.replica_acks:
#     a failover then promotes one while the other must follow it.
#
# Usage (GINSMS_TEST_PORTS=FIRST-LAST picks the port range, default 20000-32000):
#   servers.sh start DIR   starts them all under DIR and waits until they are healthy, then
#                          prints on stdout only `export NAME=value` lines to eval (progress
#                          and errors go to stderr; on failure the logs too, and it exits
#                          non-zero, leaving the caller's `stop DIR` to kill what was started)
#   servers.sh stop DIR    kills every server started under DIR and waits until they are
#                          gone; never fails
#
# Each server gets a folder under DIR: single, cluster-1 .. cluster-6, primary, replica,
# replica2, sentinel-1 .. sentinel-3, holding redis.conf, port, pid (written by redis-server), log, and
# an executable start.sh that restarts that very server with the same config, daemonized
# (a cluster node keeps its nodes.conf there, so a restarted node rejoins the cluster). A
# failover test can thus `kill -9 $(cat DIR/cluster-1/pid)` and later run DIR/cluster-1/start.sh.
# No server persists anything (no RDB, no AOF); replication is diskless.
set -euo pipefail

readonly SENTINEL_MASTER=ginsms-test
readonly CLUSTER_SIZE=6
readonly SENTINEL_COUNT=3
readonly SENTINEL_REPLICAS=2
# How long (in seconds) each phase may take before start gives up.
readonly READY_TIMEOUT=${GINSMS_SERVERS_TIMEOUT:-30}

say() { printf 'servers.sh: %s\n' "$*" >&2; }

# now prints the time in milliseconds (in seconds' steps before bash 5).
now() {
	if [ -n "${EPOCHREALTIME-}" ]; then
		local t=${EPOCHREALTIME/[.,]/}
		echo $((t / 1000))
	else
		echo $((SECONDS * 1000))
	fi
}

# listening PORT succeeds when something accepts connections on 127.0.0.1:PORT.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# rcli PORT ARGS... runs redis-cli against 127.0.0.1:PORT, without the \r of INFO replies.
rcli() {
	local port=$1 out
	shift
	out=$(redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1) || return 1
	printf '%s\n' "${out//$'\r'/}"
}

# field NAME < INFO-REPLY prints the value of NAME (such as role or master_link_status).
field() { awk -F: -v k="$1" '$1 == k { print substr($0, length(k) + 2); exit }'; }

# wait_for SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, at most SECONDS long,
# and gives up at once when COMMAND exits with 2 (it will never succeed).
wait_for() {
	local limit=$1 what=$2 deadline rc
	shift 2
	deadline=$(($(now) + limit * 1000))
	while true; do
		rc=0
		"$@" || rc=$?
		((rc != 0)) || return 0
		if ((rc == 2)); then
			say "gave up waiting for $what"
			return 1
		fi
		if (($(now) >= deadline)); then
			say "timed out after ${limit} s waiting for $what"
			return 1
		fi
		sleep 0.05
	done
}

# free_ports N sets PORTS to N ports where nothing listens, from a random base in
# GINSMS_TEST_PORTS ("FIRST-LAST", default 20000-32000: below Linux's ephemeral range,
# 32768 and up, where an outgoing connection could take one meanwhile).
free_ports() {
	local n=$1 base p first last range=${GINSMS_TEST_PORTS:-20000-32000}
	PORTS=()
	if ! [[ $range =~ ^([0-9]+)-([0-9]+)$ ]] || ((BASH_REMATCH[1] < 1024 || BASH_REMATCH[2] > 65535 ||
		BASH_REMATCH[2] - BASH_REMATCH[1] + 1 < n)); then
		say "GINSMS_TEST_PORTS=$range: want FIRST-LAST within 1024-65535, at least $n ports"
		return 1
	fi
	first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
	base=$((first + RANDOM % (last - first + 2 - n)))
	for ((p = base; p <= last && p < base + 500 && ${#PORTS[@]} < n; p++)); do
		listening "$p" || PORTS+=("$p")
	done
	((${#PORTS[@]} == n)) || {
		say "found no $n free ports from $base"
		return 1
	}
}

# new_server NAME PORT [--sentinel] -- CONFIG-LINE...: writes DIR/NAME/{redis.conf,port,start.sh}.
new_server() {
	local name=$1 port=$2 flag="" d="$DIR/$1"
	shift 2
	if [ "$1" = --sentinel ]; then
		flag=" --sentinel"
		shift
	fi
	shift # --
	mkdir -p "$d"
	{
		printf '%s\n' "# $name, started by servers.sh" "port $port" "bind 127.0.0.1" "daemonize yes" \
			"pidfile \"$d/pid\"" "logfile \"$d/log\"" "dir \"$d\""
		printf '%s\n' "$@"
	} >"$d/redis.conf"
	echo "$port" >"$d/port"
	cat >"$d/start.sh" <<EOF
#!/usr/bin/env bash
# Starts $name again on 127.0.0.1:$port with its own config (daemonized: its pid goes to ./pid).
here=\$(cd "\$(dirname "\$0")" && pwd)
exec redis-server "\$here/redis.conf"$flag
EOF
	chmod +x "$d/start.sh"
}

# up NAME succeeds when the server of DIR/NAME answers and is the process of its pid file
# (not some other server that took its port meanwhile); it fails with 2 once the server's
# log says it could not listen.
up() {
	local d="$DIR/$1" pid info
	if grep -qsE 'Could not create server TCP listening socket|Failed listening on port' "$d/log"; then
		return 2
	fi
	pid=$(cat "$d/pid" 2>/dev/null) || return 1
	info=$(rcli "$(cat "$d/port")" INFO server) || return 1
	[ "$(field process_id <<<"$info")" = "$pid" ]
}

# linked PORT succeeds when the server on PORT is a replica whose link to its master is up,
# or a master whose replicas (if any) are all online.
linked() {
	local info
	info=$(rcli "$1" INFO replication) || return 1
	case "$(field role <<<"$info")" in
	slave) [ "$(field master_link_status <<<"$info")" = up ] ;;
	master) awk '/^slave[0-9]+:/ && !/state=online/ { bad = 1 } END { exit bad }' <<<"$info" ;;
	*) return 1 ;;
	esac
}

# cluster_healthy succeeds when every node reports cluster_state:ok with all 16384 slots
# served, sees 3 connected masters and 3 connected replicas none of which is failing, and
# every replica's link to its master is up.
cluster_healthy() {
	local port info nodes
	for port in "${CLUSTER_PORTS[@]}"; do
		info=$(rcli "$port" CLUSTER INFO) || return 1
		[ "$(field cluster_state <<<"$info")" = ok ] || return 1
		[ "$(field cluster_slots_ok <<<"$info")" = 16384 ] || return 1
		[ "$(field cluster_known_nodes <<<"$info")" = "$CLUSTER_SIZE" ] || return 1
		nodes=$(rcli "$port" CLUSTER NODES) || return 1
		awk -v want=$((CLUSTER_SIZE / 2)) '
			NF >= 8 { if ($8 != "connected" || $3 ~ /fail|handshake|noaddr|nofailover/) bad = 1
			          if ($3 ~ /master/) m++; if ($3 ~ /slave/) s++ }
			END { exit !(!bad && m == want && s == want) }' <<<"$nodes" || return 1
		linked "$port" || return 1
	done
}

# kv NAME < REPLY prints the value of NAME in a field/value reply (one per line, as
# redis-cli prints SENTINEL MASTER).
kv() { awk -v k="$1" 'NR % 2 == 1 { key = $0; next } key == k { print; exit }'; }

# sentinels_healthy succeeds when both replicas are in sync with the primary and every
# sentinel sees the primary up, both replicas up with their link up, the 2 other sentinels,
# and a quorum.
sentinels_healthy() {
	local port master replicas
	linked "$PRIMARY_PORT" || return 1
	linked "$REPLICA_PORT" || return 1
	linked "$REPLICA2_PORT" || return 1
	for port in "${SENTINEL_PORTS[@]}"; do
		master=$(rcli "$port" SENTINEL MASTER "$SENTINEL_MASTER") || return 1
		[ "$(kv flags <<<"$master")" = master ] || return 1
		[ "$(kv port <<<"$master")" = "$PRIMARY_PORT" ] || return 1
		[ "$(kv num-slaves <<<"$master")" = "$SENTINEL_REPLICAS" ] || return 1
		[ "$(kv num-other-sentinels <<<"$master")" = $((SENTINEL_COUNT - 1)) ] || return 1
		replicas=$(rcli "$port" SENTINEL REPLICAS "$SENTINEL_MASTER") || return 1
		awk -v n="$SENTINEL_REPLICAS" 'NR % 2 == 1 { key = $0; next }
			key == "flags" && $0 == "slave" { f++ } key == "master-link-status" && $0 == "ok" { l++ }
			END { exit !(f == n && l == n) }' <<<"$replicas" || return 1
		rcli "$port" SENTINEL CKQUORUM "$SENTINEL_MASTER" | grep -q "^OK $SENTINEL_COUNT usable" || return 1
	done
}

# setup_cluster creates the cluster from the running nodes and waits until it is healthy.
setup_cluster() {
	local addrs=() port
	for port in "${CLUSTER_PORTS[@]}"; do addrs+=("127.0.0.1:$port"); done
	if ! redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
		>"$DIR/cluster-create.log" 2>&1 </dev/null; then
		say "redis-cli --cluster create failed"
		return 1
	fi
	wait_for "$READY_TIMEOUT" "a healthy cluster" cluster_healthy || return 1
	say "cluster ready $(($(now) - T0)) ms after start (${addrs[*]})"
}

# start_once allocates ports, starts every server and waits until all is healthy.
# It runs as an if condition, where set -e is off: every step checks its own failure.
start_once() {
	local i name cluster_pid rc=0
	T0=$(now)
	free_ports $((1 + 2 * CLUSTER_SIZE + 3 + SENTINEL_COUNT)) || return 1
	SINGLE_PORT=${PORTS[0]}
	CLUSTER_PORTS=("${PORTS[@]:1:CLUSTER_SIZE}")
	local bus_ports=("${PORTS[@]:1+CLUSTER_SIZE:CLUSTER_SIZE}")
	PRIMARY_PORT=${PORTS[1 + 2 * CLUSTER_SIZE]}
	REPLICA_PORT=${PORTS[2 + 2 * CLUSTER_SIZE]}
	REPLICA2_PORT=${PORTS[3 + 2 * CLUSTER_SIZE]}
	SENTINEL_PORTS=("${PORTS[@]:4+2*CLUSTER_SIZE:SENTINEL_COUNT}")

	local common=('save ""' "appendonly no" "repl-diskless-sync yes" "repl-diskless-sync-delay 0"
		"shutdown-timeout 0")
	new_server single "$SINGLE_PORT" -- 'save ""' "appendonly no" || return 1
	for ((i = 0; i < CLUSTER_SIZE; i++)); do
		# cluster-port: the bus port is a free one too (not the default port + 10000).
		# cluster-replica-validity-factor 0: a replica always takes over its failed master.
		new_server "cluster-$((i + 1))" "${CLUSTER_PORTS[i]}" -- "${common[@]}" \
			"cluster-enabled yes" "cluster-config-file nodes.conf" "cluster-node-timeout 1000" \
			"cluster-port ${bus_ports[i]}" "cluster-replica-validity-factor 0" || return 1
	done
	new_server primary "$PRIMARY_PORT" -- "${common[@]}" || return 1
	new_server replica "$REPLICA_PORT" -- "${common[@]}" "replicaof 127.0.0.1 $PRIMARY_PORT" || return 1
	new_server replica2 "$REPLICA2_PORT" -- "${common[@]}" "replicaof 127.0.0.1 $PRIMARY_PORT" || return 1
	for ((i = 0; i < SENTINEL_COUNT; i++)); do
		# known-replica spares waiting for the sentinels' next INFO of the primary (every
		# 10 s) should the replica not be attached yet when they first ask; the sentinels
		# find each other through the primary's hello channel.
		new_server "sentinel-$((i + 1))" "${SENTINEL_PORTS[i]}" --sentinel -- \
			"sentinel monitor $SENTINEL_MASTER 127.0.0.1 $PRIMARY_PORT 2" \
			"sentinel down-after-milliseconds $SENTINEL_MASTER 1000" \
			"sentinel failover-timeout $SENTINEL_MASTER 5000" \
			"sentinel parallel-syncs $SENTINEL_MASTER 1" \
			"sentinel known-replica $SENTINEL_MASTER 127.0.0.1 $REPLICA_PORT" \
			"sentinel known-replica $SENTINEL_MASTER 127.0.0.1 $REPLICA2_PORT" || return 1
	done

	SERVERS=(single)
	for ((i = 1; i <= CLUSTER_SIZE; i++)); do SERVERS+=("cluster-$i"); done
	SERVERS+=(primary replica replica2)
	for ((i = 1; i <= SENTINEL_COUNT; i++)); do SERVERS+=("sentinel-$i"); done
	local starting=()
	for name in "${SERVERS[@]}"; do
		"$DIR/$name/start.sh" >&2 &
		starting+=("$!")
	done
	for i in "${!starting[@]}"; do
		wait "${starting[i]}" || {
			say "${SERVERS[i]} did not start"
			rc=1
		}
	done
	((rc == 0)) || return 1
	for name in "${SERVERS[@]}"; do
		wait_for "$READY_TIMEOUT" "$name on 127.0.0.1:$(cat "$DIR/$name/port")" up "$name" || return 1
	done
	say "${#SERVERS[@]} servers up $(($(now) - T0)) ms after start"

	setup_cluster &
	cluster_pid=$!
	wait_for "$READY_TIMEOUT" "a healthy sentinel set" sentinels_healthy || rc=1
	((rc)) || say "sentinel set ready $(($(now) - T0)) ms after start (primary 127.0.0.1:$PRIMARY_PORT, replicas 127.0.0.1:$REPLICA_PORT and 127.0.0.1:$REPLICA2_PORT, sentinels on ${SENTINEL_PORTS[*]})"
	wait "$cluster_pid" || rc=1
	return "$rc"
}

# show_logs prints every log under DIR on stderr.
show_logs() {
	local f
	for f in "$DIR"/*/log "$DIR"/cluster-create.log; do
		[ -f "$f" ] || continue
		printf '\n===== %s (last 40 lines) =====\n' "$f" >&2
		tail -n 40 "$f" >&2
	done
}

# export_line NAME VALUE prints `export NAME='VALUE'` for the caller to eval.
export_line() { printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }

start() {
	local attempt cluster_addrs sentinel_addrs
	mkdir -p "$1"
	DIR=$(cd "$1" && pwd)
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		say "redis-server and redis-cli are needed (Debian/Ubuntu: apt-get install -y redis-server redis-tools; macOS: brew install redis)"
		return 1
	fi
	for attempt in 1 2 3; do
		if start_once; then
			cluster_addrs=$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")
			sentinel_addrs=$(printf '127.0.0.1:%s,' "${SENTINEL_PORTS[@]}")
			export_line GINSMS_TEST_REDIS_ADDR "127.0.0.1:$SINGLE_PORT"
			export_line GINSMS_TEST_CLUSTER_ADDRS "${cluster_addrs%,}"
			export_line GINSMS_TEST_SENTINEL_ADDRS "${sentinel_addrs%,}"
			export_line GINSMS_TEST_SENTINEL_MASTER "$SENTINEL_MASTER"
			export_line GINSMS_TEST_SERVERS_DIR "$DIR"
			return 0
		fi
		# Another process may have taken a port between the probe and the bind: try others.
		if ((attempt < 3)) && grep -qs 'Address already in use' "$DIR"/*/log; then
			say "a port was taken meanwhile: starting again on other ports"
			stop "$DIR"
			rm -rf "${DIR:?}"/*/ "$DIR/cluster-create.log"
			continue
		fi
		show_logs
		return 1
	done
}

# ours PID FOLDER succeeds when PID is a redis-server running in FOLDER (so a stale pid file
# never gets another process killed).
ours() {
	local pid=$1 folder=$2 cwd
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	if [ -d /proc/self ]; then
		cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
		[ "$cwd" = "$folder" ] || return 1
	fi
	case "$(ps -p "$pid" -o comm= 2>/dev/null)" in
	*redis-server* | *redis-sentinel*) return 0 ;;
	*) return 1 ;;
	esac
}

# alive PID succeeds while PID runs (a zombie waiting for its reaper does not count).
alive() {
	local state
	state=$(ps -p "$1" -o stat= 2>/dev/null) || return 1
	[ -n "$state" ] && [[ $state != Z* ]]
}

stop() {
	local dir folder pid f pids=() p
	[ -d "$1" ] || return 0
	dir=$(cd "$1" && pwd -P) || return 0
	for f in "$dir"/*/pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null) || continue
		ours "$pid" "${f%/pid}" && pids+=("$pid")
	done
	# A server killed between its fork and its pid file would have none: find it by its
	# working directory (Linux).
	if [ -d /proc/self ]; then
		for p in /proc/[0-9]*; do
			folder=$(readlink "$p/cwd" 2>/dev/null) || continue
			[[ $folder == "$dir"/* ]] || continue
			pid=${p#/proc/}
			[[ " ${pids[*]} " == *" $pid "* ]] && continue
			ours "$pid" "$folder" && pids+=("$pid")
		done
	fi
	((${#pids[@]})) || return 0
	kill -9 "${pids[@]}" 2>/dev/null || true
	for _ in $(seq 1 100); do
		for p in "${pids[@]}"; do
			if alive "$p"; then
				sleep 0.05
				continue 2
			fi
		done
		return 0
	done
	say "some servers under $dir are still running: ${pids[*]}"
	return 0
}

case "${1-}" in
start)
	[ $# -eq 2 ] || {
		say "usage: $0 start DIR"
		exit 2
	}
	start "$2"
	;;
stop)
	[ $# -eq 2 ] || {
		say "usage: $0 stop DIR"
		exit 0
	}
	stop "$2" || true
	;;
*)
	say "usage: $0 start DIR | $0 stop DIR"
	exit 2
	;;
esac
