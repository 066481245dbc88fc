# Test services on loopback: Azurite (Table Storage, in memory) and RabbitMQ with the AMQP 1.0 plugin; and
# Debian's chromium for the portal's browser tests.
# Sourced by scripts/test.sh and scripts/dev-services.sh. Everything binds to 127.0.0.1 on free ports, runs
# without systemd from a scratch folder, and is stopped by the PIDs recorded here (epmd included).

SERVICES_ROOT=${SERVICES_ROOT:?set SERVICES_ROOT to the repository root}
SERVICES_SCRATCH=${SERVICES_SCRATCH:?set SERVICES_SCRATCH to a scratch folder}
# Queues named gpu-* dead-letter into this queue on RabbitMQ (Service Bus has one per entity instead).
AMQP_DEAD_LETTER_QUEUE=dead-letters
started_pgids=()

svc_log() { echo "[services] $*" >&2; }

# A free port below Linux's ephemeral range (32768+): a port the kernel hands out for outgoing connections can be
# taken by any process's connection between this check and the server binding it.
free_port() {
  node -e "
    const net=require('net');
    const tryPort=()=>{const p=20000+Math.floor(Math.random()*12000);const s=net.createServer();
      s.once('error',tryPort);s.listen(p,'127.0.0.1',()=>{console.log(p);s.close();});};
    tryPort();"
}

wait_for_port() { # port seconds name
  local port=$1 deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ((SECONDS >= deadline)); then svc_log "$3 did not open 127.0.0.1:$port within $2 s"; return 1; fi
    sleep 0.2
  done
}

rabbitmq_sbin() {
  local dir
  for dir in /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin; do
    [ -x "$dir/rabbitmq-server" ] && { echo "$dir"; return 0; }
  done
  return 1
}

install_missing() {
  local pinned installed
  pinned=$(node -p "require('$SERVICES_ROOT/package.json').devDependencies.azurite")
  installed=$(node -p "try{require('$SERVICES_ROOT/node_modules/azurite/package.json').version}catch{''}")
  if [ ! -x "$SERVICES_ROOT/node_modules/.bin/azurite-table" ] || [ "$pinned" != "$installed" ]; then
    svc_log "installing Azurite (npm ci)"
    (cd "$SERVICES_ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  if ! rabbitmq_sbin >/dev/null; then
    svc_log "installing RabbitMQ (apt-get install rabbitmq-server)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq rabbitmq-server >&2
  fi
  # The portal's browser tests drive Debian's chromium through Playwright (never a browser Playwright downloads).
  if [ ! -x /usr/bin/chromium ]; then
    svc_log "installing Chromium (apt-get install chromium)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq chromium >&2
  fi
}

start_azurite() {
  local port; port=$(free_port)
  mkdir -p "$SERVICES_SCRATCH/azurite"
  setsid "$SERVICES_ROOT/node_modules/.bin/azurite-table" --inMemoryPersistence --silent --skipApiVersionCheck \
    --loose --disableTelemetry --tableHost 127.0.0.1 --tablePort "$port" \
    >"$SERVICES_SCRATCH/azurite/out.log" 2>&1 &
  started_pgids+=("$!")
  echo "$!" >"$SERVICES_SCRATCH/azurite/pid"
  wait_for_port "$port" 60 Azurite
  # The well-known development account of Azurite; not a secret.
  export GPUAUTO_TEST_AZURITE_TABLES="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
  svc_log "Azurite tables on 127.0.0.1:$port"
}

# Ports can still be taken between choosing and binding them: try up to three times with fresh ones.
start_rabbitmq() {
  local attempt
  for attempt in 1 2 3; do
    start_rabbitmq_once && return 0
    svc_log "RabbitMQ attempt $attempt failed; retrying on other ports"
  done
  return 1
}

start_rabbitmq_once() {
  local sbin base amqp_port epmd_port dist_port node
  sbin=$(rabbitmq_sbin)
  base="$SERVICES_SCRATCH/rabbitmq"
  mkdir -p "$base/home" "$base/mnesia" "$base/log"
  rm -rf "$base/mnesia" && mkdir -p "$base/mnesia"
  amqp_port=$(free_port); epmd_port=$(free_port); dist_port=$(free_port)
  while [ "$epmd_port" = "$amqp_port" ]; do epmd_port=$(free_port); done
  while [ "$dist_port" = "$amqp_port" ] || [ "$dist_port" = "$epmd_port" ]; do dist_port=$(free_port); done
  node="gpuauto$$@localhost"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users.guest = true\nlog.console = false\n' "$amqp_port" >"$base/rabbitmq.conf"
  printf '[rabbitmq_amqp1_0].\n' >"$base/enabled_plugins"
  # rabbitmqctl needs the same environment as the node; tests call this wrapper to stop and start the broker.
  cat >"$base/env.sh" <<ENV
export HOME='$base/home'
export RABBITMQ_MNESIA_BASE='$base/mnesia'
export RABBITMQ_LOG_BASE='$base/log'
export ERL_CRASH_DUMP='$base/log/erl_crash.dump'
export RABBITMQ_NODENAME='$node'
export RABBITMQ_CONFIG_FILE='$base/rabbitmq.conf'
export RABBITMQ_ENABLED_PLUGINS_FILE='$base/enabled_plugins'
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT='$amqp_port'
export RABBITMQ_DIST_PORT='$dist_port'
export RABBITMQ_PID_FILE='$base/rabbitmq.pid'
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT='$epmd_port'
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
ENV
  printf '#!/usr/bin/env bash\n. %q\nexec %q -n %q "$@"\n' "$base/env.sh" "$sbin/rabbitmqctl" "$node" >"$base/rabbitmqctl"
  chmod +x "$base/rabbitmqctl"
  (
    . "$base/env.sh"
    setsid epmd -address 127.0.0.1 -port "$epmd_port" >"$base/log/epmd.out" 2>&1 &
    echo "$!" >"$base/epmd.pid"
  )
  started_pgids+=("$(cat "$base/epmd.pid")")
  wait_for_port "$epmd_port" 10 epmd || { stop_group "$(cat "$base/epmd.pid")"; return 1; }
  (
    . "$base/env.sh"
    setsid "$sbin/rabbitmq-server" >"$base/log/server.out" 2>&1 &
    echo "$!" >"$base/server.pid"
  )
  started_pgids+=("$(cat "$base/server.pid")")
  # await_startup gives up at once while the node isn't registered yet, so ask until it answers.
  local deadline=$((SECONDS + 120))
  until "$base/rabbitmqctl" await_startup --timeout 30 >/dev/null 2>&1; do
    if ((SECONDS >= deadline)) || ! kill -0 "$(cat "$base/server.pid")" 2>/dev/null; then
      svc_log "RabbitMQ did not start; its log:"; tail -n 30 "$base/log/server.out" >&2
      stop_group "$(cat "$base/server.pid")"; stop_group "$(cat "$base/epmd.pid")"
      return 1
    fi
    sleep 1
  done
  "$base/rabbitmqctl" set_policy gpu-dead-letter "^gpu-" \
    "{\"dead-letter-exchange\":\"\",\"dead-letter-routing-key\":\"$AMQP_DEAD_LETTER_QUEUE\"}" --apply-to queues >/dev/null
  export GPUAUTO_TEST_AMQP="amqp://guest:guest@127.0.0.1:$amqp_port"
  export GPUAUTO_TEST_AMQP_DEAD_LETTER_QUEUE="$AMQP_DEAD_LETTER_QUEUE"
  export GPUAUTO_TEST_RABBITMQCTL="$base/rabbitmqctl"
  svc_log "RabbitMQ AMQP 1.0 on 127.0.0.1:$amqp_port (node $node)"
}

stop_group() { # pgid: one service started with setsid
  kill -TERM -- "-$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
}

stop_services() {
  local base="$SERVICES_SCRATCH/rabbitmq" pgid
  if [ -x "$base/rabbitmqctl" ] && [ -f "$base/server.pid" ]; then
    timeout 30 "$base/rabbitmqctl" stop >/dev/null 2>&1 || true
  fi
  # Each service was started with setsid, so its PID is its process group: stop exactly those groups.
  for pgid in "${started_pgids[@]}"; do
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done
  for pgid in "${started_pgids[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  started_pgids=()
}
