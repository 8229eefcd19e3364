#!/usr/bin/env bash
# Runs one real single-node Apache Cassandra for the tests, the demo and development, from Cassandra's Maven
# Central jars (there is no Debian package or Docker engine on these machines; see README.md).
#
# Usage: bash scripts/cassandra-node.sh install|start|stop|status|env
#   install  Fetches org.apache.cassandra:cassandra-all:$version and its runtime dependencies with Maven, from a
#            throwaway pom.xml, into a cache keyed by the version (CASSANDRA_CACHE_DIR, default
#            ~/.cache/pulumi-cosmos-copy/cassandra-<version>), so only the first run pays for Maven (about 70 MB:
#            10 s to a minute and a half, with the network). A marker written last says the jars are complete;
#            an interrupted install starts over.
#   start    Idempotent: when the node recorded in .cassandra/ (at the repository root) is alive and answers CQL,
#            prints its contact point and returns. Otherwise installs if needed, writes its configuration
#            (.cassandra/conf: cassandra.yaml, logback.xml, jvm.options), keeps its data in .cassandra/data
#            (kept across restarts) and its log in .cassandra/logs, picks free ports (the previous ones when
#            still free, so the contact point stays put; CASSANDRA_NATIVE_PORT forces the CQL port), starts
#            CassandraDaemon on Java 17 in its own session (so a Ctrl-C in the caller's terminal leaves it
#            running for the next run), and waits for the log line that says CQL is open, checking all along
#            that the process is still alive. Prints the contact point, 127.0.0.1:<port>, as its last line.
#   stop     SIGTERM to the recorded process id (Cassandra drains and flushes), SIGKILL after 60 s.
#   status   Says whether the node runs and answers CQL; exit code 0 when it does, 3 when it does not.
#   env      Prints `export CASSANDRA_CONTACT_POINTS=...` and `export CASSANDRA_LOCAL_DATA_CENTER=...` for a
#            running node: eval "$(bash scripts/cassandra-node.sh env)".
#
# Needs Java 17 (JAVA_HOME, or java on PATH, or a JDK 17 under /usr/lib/jvm) and, for install, Maven.
# Progress goes to stderr. Starts are serialised by a lock in .cassandra/, so parallel callers share one node.
set -euo pipefail

version=5.0.9
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="$(cd "$script_dir/.." && pwd)/.cassandra"
cache_dir="${CASSANDRA_CACHE_DIR:-$HOME/.cache/pulumi-cosmos-copy/cassandra-$version}"
lib_dir="$cache_dir/lib"
installed_marker="$cache_dir/lib.complete"
conf_dir="$node_dir/conf"
data_dir="$node_dir/data"
log_dir="$node_dir/logs"
pid_file="$node_dir/cassandra.pid"
contact_point_file="$node_dir/contact-point"
ports_file="$node_dir/ports"
ready_line="Starting listening for CQL clients"
start_timeout_s=240
stop_timeout_s=60

say() { echo "cassandra-node: $*" >&2; }
fail() {
  say "$*"
  exit 1
}
# Seconds since $1 (an $EPOCHREALTIME reading), to a tenth.
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

install() {
  if [[ -f "$installed_marker" ]]; then
    say "Cassandra $version already installed in $lib_dir"
    return
  fi
  command -v mvn >/dev/null || fail "install needs Maven (mvn) to fetch Cassandra's jars; install it (apt-get install maven)."
  mkdir -p "$cache_dir"
  # Serialise installs into the shared cache (two worktrees may start a node at once).
  exec 8>"$cache_dir/.install.lock"
  flock 8
  if [[ -f "$installed_marker" ]]; then
    return
  fi
  say "installing Cassandra $version into $lib_dir with Maven (about 70 MB)"
  local started=$EPOCHREALTIME work
  rm -rf "$cache_dir"/.work.* # left by an install that was interrupted
  work="$(mktemp -d "$cache_dir/.work.XXXXXX")"
  # The pom declares only Cassandra: copy-dependencies then copies it and everything it needs at runtime.
  # The plugin version is pinned so the result does not depend on what Maven resolves as its latest.
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.pulumi-cosmos-copy</groupId>
  <artifactId>cassandra-node</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>3.8.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
  # Maven reports to stdout; it goes to stderr with the rest of the progress, so stdout stays the contact point.
  (cd "$work" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/lib") >&2
  [[ -f "$work/lib/cassandra-all-$version.jar" ]] || fail "Maven did not fetch cassandra-all-$version.jar (see its output above)."
  rm -rf "$lib_dir"
  mv "$work/lib" "$lib_dir"
  rm -rf "$work"
  local jars
  jars="$(find "$lib_dir" -name '*.jar' | wc -l)"
  echo "cassandra-all $version: $jars jars" >"$installed_marker"
  say "installed Cassandra $version ($jars jars, $(du -sh "$lib_dir" | cut -f1)) in $(elapsed_since "$started") s"
}

# The java to run Cassandra with: Cassandra 5.0 runs on Java 11 or 17, and the module flags below are 17's.
find_java() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*-17-*/bin/java; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    major="$("$candidate" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [[ "$major" == 17 ]]; then
      echo "$candidate"
      return
    fi
  done
  fail "no Java 17 found (JAVA_HOME, PATH, /usr/lib/jvm); Cassandra $version needs one: install openjdk-17-jdk-headless or set JAVA_HOME."
}

recorded_pid() { [[ -f "$pid_file" ]] && cat "$pid_file"; }

# True when $1 is a live CassandraDaemon started with this directory's configuration (not a reused pid).
is_our_node() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  [[ "$cmdline" == *CassandraDaemon* && "$cmdline" == *"@$conf_dir/jvm.options"* ]]
}

# True when the CQL port answers an OPTIONS request with a protocol v4 SUPPORTED response: a real exchange,
# where a bare TCP connect would only make the node log a protocol warning.
cql_answers() {
  local port="$1"
  # shellcheck disable=SC2016 # the inner script expands its own $0
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
    [[ "$(head -c 5 <&3 | od -An -tx1 | tr -d " \n")" == 8400000006 ]]
  ' "$port" 2>/dev/null
}

recorded_port() { [[ -f "$contact_point_file" ]] && sed 's/.*://' "$contact_point_file"; }

node_answers() {
  local pid port
  pid="$(recorded_pid)" && is_our_node "$pid" && port="$(recorded_port)" && cql_answers "$port"
}

# Prints "<storage port> <native port>": the previous ones when still free, else free ones the kernel picks.
pick_ports() {
  local previous_storage="" previous_native=""
  if [[ -f "$ports_file" ]]; then
    read -r previous_storage previous_native <"$ports_file" || true
  fi
  node - "${previous_storage:-0}" "${CASSANDRA_NATIVE_PORT:-${previous_native:-0}}" "${CASSANDRA_NATIVE_PORT:+forced}" <<'EOF'
const net = require("node:net");
const [preferredStorage, preferredNative, nativeForced] = process.argv.slice(2);
// Holds a port open until both are chosen, so the two are distinct.
const listen = (port) =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(Number(port), "127.0.0.1", () => resolve(server));
  });
const preferOrAny = (port) => listen(port).catch(() => listen(0));
(async () => {
  const storage = await preferOrAny(preferredStorage);
  const native = nativeForced
    ? await listen(preferredNative).catch(() => {
        console.error(`cassandra-node: CASSANDRA_NATIVE_PORT=${preferredNative} is in use or invalid; choose a free port or unset it.`);
        process.exit(1);
      })
    : await preferOrAny(preferredNative);
  console.log(`${storage.address().port} ${native.address().port}`);
  storage.close();
  native.close();
})();
EOF
}

write_config() {
  local storage_port="$1" native_port="$2"
  mkdir -p "$conf_dir/triggers" "$data_dir" "$log_dir"
  # A single node on loopback. auto_snapshot is off because the tests create and drop many keyspaces, and each
  # drop would otherwise keep a snapshot of the dropped data on disk. Memtables are small to fit the 1 GiB heap.
  cat >"$conf_dir/cassandra.yaml" <<EOF
cluster_name: pulumi-cosmos-copy
num_tokens: 16
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
network_authorizer: AllowAllNetworkAuthorizer
data_file_directories:
  - $data_dir/data
commitlog_directory: $data_dir/commitlog
saved_caches_directory: $data_dir/saved_caches
hints_directory: $data_dir/hints
cdc_raw_directory: $data_dir/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$storage_port"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $storage_port
native_transport_port: $native_port
start_native_transport: true
endpoint_snitch: SimpleSnitch
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
auto_snapshot: false
storage_compatibility_mode: NONE
EOF
  # INFO to a rolled file (it holds the ready line); only warnings to the console, which goes to stdout.log
  # together with anything the JVM prints before logging starts.
  cat >"$conf_dir/logback.xml" <<EOF
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>$log_dir/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>$log_dir/system.log.%i</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter">
      <level>WARN</level>
    </filter>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="FILE" />
    <appender-ref ref="STDOUT" />
  </root>
</configuration>
EOF
  # A java @argument file. The --add-exports/--add-opens list is the one Cassandra ships for Java 17
  # (conf/jvm17-server.options): Cassandra reaches into JDK internals (Unsafe, direct buffers, JMX, jamm's
  # object sizing) that Java 17's module system closes by default.
  cat >"$conf_dir/jvm.options" <<EOF
# A small heap: one node for tests on a shared 2-core machine, not production.
-Xms512m
-Xmx1g
-Xss256k
-XX:+UseG1GC
-XX:+ParallelRefProcEnabled
-XX:MaxTenuringThreshold=1
-XX:G1HeapRegionSize=16m
-XX:MaxGCPauseMillis=300
# Out of memory, a node can go on half-working and corrupt data; exit instead (start brings it back).
-XX:+ExitOnOutOfMemoryError
-Djava.net.preferIPv4Stack=true
-Djdk.attach.allowAttachSelf=true
-Dio.netty.tryReflectionSetAccessible=true
-Dio.netty.allocator.useCacheForAllThreads=true
-Dio.netty.allocator.maxOrder=11
# Stay in the foreground (the script, not Cassandra, detaches it), and find this directory's files.
-Dcassandra-foreground=yes
"-Dcassandra.config=file://$conf_dir/cassandra.yaml"
"-Dcassandra.storagedir=$data_dir"
"-Dcassandra.logdir=$log_dir"
"-Dcassandra.triggers_dir=$conf_dir/triggers"
# One node has no gossip to wait for and no superuser setup to delay.
-Dcassandra.skip_wait_for_gossip_to_settle=0
-Dcassandra.superuser_setup_delay_ms=0
--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED
--add-exports=java.sql/java.sql=ALL-UNNAMED
--add-exports=java.base/java.lang.ref=ALL-UNNAMED
--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED
--add-opens=java.base/java.lang.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED
--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED
--add-opens=java.base/jdk.internal.math=ALL-UNNAMED
--add-opens=java.base/jdk.internal.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED
--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED
--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
--add-opens=java.base/java.lang=ALL-UNNAMED
--add-opens=java.base/java.util=ALL-UNNAMED
EOF
}

print_log_tail() {
  local log="$log_dir/system.log"
  [[ -s "$log" ]] || log="$log_dir/stdout.log" # the JVM failed before logging started
  [[ -s "$log" ]] || return 0
  say "errors in $log:"
  grep -m 5 '^ERROR' "$log" >&2 || true
  say "last lines of $log:"
  tail -n 30 "$log" >&2
}

# Waits for the ready line in this boot's log while the process lives; returns 1 if it dies or time runs out.
wait_until_ready() {
  local pid="$1" deadline=$((SECONDS + start_timeout_s))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || {
      say "Cassandra (pid $pid) exited while starting."
      return 1
    }
    grep -qF "$ready_line" "$log_dir/system.log" 2>/dev/null && return 0
    sleep 0.5
  done
  say "Cassandra (pid $pid) did not open CQL within $start_timeout_s s."
  return 1
}

start() {
  mkdir -p "$node_dir"
  # One start at a time per node directory: a second caller waits, then finds the node running.
  exec 9>"$node_dir/start.lock"
  flock 9
  local pid
  pid="$(recorded_pid || true)"
  if is_our_node "$pid"; then
    if node_answers; then
      say "already running (pid $pid)"
      cat "$contact_point_file"
      return
    fi
    # Alive but not (yet) answering: a start that was interrupted after launching it. Its log is its own boot's.
    say "pid $pid is still starting; waiting for it"
    local waited=$EPOCHREALTIME
    if ! wait_until_ready "$pid"; then
      print_log_tail
      stop
      exit 1
    fi
    say "CQL ready after $(elapsed_since "$waited") s more"
    cat "$contact_point_file"
    return
  fi
  rm -f "$pid_file"

  install
  local java storage_port native_port
  java="$(find_java)"
  read -r storage_port native_port < <(pick_ports)
  [[ -n "$native_port" ]] || fail "could not pick ports for the node."
  write_config "$storage_port" "$native_port"
  echo "$storage_port $native_port" >"$ports_file"
  # The ready line must come from this boot, not from the previous one's log.
  [[ -f "$log_dir/system.log" ]] && mv -f "$log_dir/system.log" "$log_dir/system.log.previous"

  local started=$EPOCHREALTIME
  say "starting Cassandra $version (storage port $storage_port, CQL port $native_port, data in $data_dir)"
  # setsid: its own session, so signals to the caller's terminal or process group do not reach it.
  # The classpath's conf directory is where logback finds logback.xml.
  setsid "$java" "@$conf_dir/jvm.options" -cp "$conf_dir:$lib_dir/*" org.apache.cassandra.service.CassandraDaemon \
    </dev/null >"$log_dir/stdout.log" 2>&1 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$pid_file"
  echo "127.0.0.1:$native_port" >"$contact_point_file"
  if ! wait_until_ready "$pid"; then
    print_log_tail
    stop
    exit 1
  fi
  say "CQL ready at 127.0.0.1:$native_port after $(elapsed_since "$started") s (pid $pid)"
  cat "$contact_point_file"
}

stop() {
  local pid
  pid="$(recorded_pid || true)"
  if ! is_our_node "$pid"; then
    say "not running"
    rm -f "$pid_file"
    return
  fi
  local started=$EPOCHREALTIME deadline=$((SECONDS + stop_timeout_s))
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid still running after $stop_timeout_s s; sending SIGKILL (writes of its last seconds may be lost)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$pid_file"
  say "stopped pid $pid in $(elapsed_since "$started") s"
}

status() {
  local pid
  pid="$(recorded_pid || true)"
  if ! is_our_node "$pid"; then
    echo "not running"
    exit 3
  fi
  if node_answers; then
    echo "running: pid $pid, CQL at $(cat "$contact_point_file"), RSS $(awk '/^VmRSS/ { printf "%d MiB", $2 / 1024 }' "/proc/$pid/status")"
  else
    echo "starting or not answering: pid $pid (log: $log_dir/system.log)"
    exit 3
  fi
}

print_env() {
  node_answers || fail "the node is not running; start it with: bash scripts/cassandra-node.sh start"
  echo "export CASSANDRA_CONTACT_POINTS=$(cat "$contact_point_file")"
  echo "export CASSANDRA_LOCAL_DATA_CENTER=datacenter1"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  *) fail "usage: bash scripts/cassandra-node.sh install|start|stop|status|env" ;;
esac
