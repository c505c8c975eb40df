# ClickHouse servers for tests, each in its own temporary directory on free ports (sourced by
# e2e_clickhouse.sh and bench/clickhouse.sh after lib.sh). Debian's clickhouse-server 18.16.
#   ch_start NAME [CLUSTER_PEERS...]: start server NAME (its HTTP URL in CH_URL[NAME], native
#   port in CH_TCP[NAME]); with peers (other names, already given ports), a cluster "fp" of one
#   shard per server is defined in its config.
#   ch_stop NAME / ch_kill NAME; ch_query NAME SQL (clickhouse-client)
declare -A CH_URL CH_TCP CH_PID CH_HTTP CH_DIR
ch_ports() { # NAME: pick its two ports (before the config that names peers is written)
	CH_HTTP[$1]=$(free_tcp_port)
	CH_TCP[$1]=$(free_tcp_port)
	CH_URL[$1]=http://127.0.0.1:${CH_HTTP[$1]}
}
ch_start() {
	local name=$1 d=$T/ch-$1
	shift
	[ -n "${CH_HTTP[$name]:-}" ] || ch_ports "$name"
	CH_DIR[$name]=$d
	mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas"
	local shards="" peer
	for peer in "$name" "$@"; do
		shards+="<shard><replica><host>127.0.0.1</host><port>${CH_TCP[$peer]}</port></replica></shard>"
	done
	cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/server.err.log</errorlog>
    <size>10M</size><count>1</count></logger>
  <http_port>${CH_HTTP[$name]}</http_port>
  <tcp_port>${CH_TCP[$name]}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <remote_servers><fp>$shards</fp></remote_servers>
</yandex>
XML
	cat >"$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>::/0</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <probe><password>fp-secret</password><networks><ip>::/0</ip></networks>
      <profile>default</profile><quota>default</quota></probe>
  </users>
  <quotas><default></default></quotas>
</yandex>
XML
	clickhouse-server --config-file="$d/config.xml" >"$d/stdout.log" 2>&1 &
	CH_PID[$name]=$!
	PIDS+=("${CH_PID[$name]}")
	for _ in $(seq 200); do
		curl -s "${CH_URL[$name]}/ping" 2>/dev/null | grep -q Ok && return 0
		sleep 0.1
	done
	tail -5 "$d/server.err.log" "$d/stdout.log" 2>/dev/null
	fail "clickhouse-server $name did not start"
}
ch_stop() {
	kill -TERM "${CH_PID[$1]}" 2>/dev/null
	wait "${CH_PID[$1]}" 2>/dev/null || true
}
ch_restart() { # NAME: the same server (data, ports) again
	local d=${CH_DIR[$1]}
	clickhouse-server --config-file="$d/config.xml" >>"$d/stdout.log" 2>&1 &
	CH_PID[$1]=$!
	PIDS+=("${CH_PID[$1]}")
	for _ in $(seq 200); do
		curl -s "${CH_URL[$1]}/ping" 2>/dev/null | grep -q Ok && return 0
		sleep 0.1
	done
	fail "clickhouse-server $1 did not start again"
}
ch_query() { # NAME SQL...
	local name=$1
	shift
	clickhouse-client --host 127.0.0.1 --port "${CH_TCP[$name]}" -n --query "$*"
}
