# Shell functions shared by scripts/test, scripts/bench-http, scripts/bench-propagation and
# scripts/soak (sourced, not run).
# Everything they start listens on 127.0.0.1 only.

# as_user USER CMD...: PostgreSQL and MariaDB refuse to run their servers as root.
as_user() {
  local user=$1
  shift
  if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

# start_postgres DIR: a throwaway PostgreSQL on 127.0.0.1 with its data in DIR/pg; sets
# $pg_port and $pg_url. stop_postgres DIR stops it.
start_postgres() {
  local dir=$1/pg bin
  bin=$(pg_bin)
  pg_port=$(free_port)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_user postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  as_user postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  pg_url="postgres://postgres@127.0.0.1:$pg_port/postgres"
}

stop_postgres() {
  [ -f "$1/pg/data/postmaster.pid" ] || return 0
  as_user postgres "$(pg_bin)/pg_ctl" -D "$1/pg/data" -m immediate stop >/dev/null 2>&1 || true
}

# start_mariadb DIR: a throwaway MariaDB on 127.0.0.1 with its data in DIR/my and a user
# novi/novi; sets $my_port and $my_url. stop_mariadb DIR stops it.
start_mariadb() {
  local dir=$1/my
  my_port=$(free_port)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown mysql "$dir"
  as_user mysql mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; return 1; }
  as_user mysql mariadbd --no-defaults --datadir="$dir/data" --port="$my_port" --bind-address=127.0.0.1 \
    --socket="$dir/sock" --pid-file="$dir/mariadbd.pid" --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=0 --max-connections=300 >"$dir/server.log" 2>&1 &
  for _ in $(seq 150); do
    mariadb-admin --no-defaults --socket="$dir/sock" -uroot ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb --no-defaults --socket="$dir/sock" -uroot -e \
    "CREATE USER 'novi'@'127.0.0.1' IDENTIFIED BY 'novi'; GRANT ALL PRIVILEGES ON *.* TO 'novi'@'127.0.0.1' WITH GRANT OPTION;" \
    || { cat "$dir/server.log" >&2; return 1; }
  my_url="mysql://novi:novi@127.0.0.1:$my_port/mysql"
}

stop_mariadb() {
  [ -f "$1/my/mariadbd.pid" ] || return 0
  kill "$(cat "$1/my/mariadbd.pid")" 2>/dev/null || true
  for _ in $(seq 50); do [ -f "$1/my/mariadbd.pid" ] || break; sleep 0.2; done
}

# ensure_wrk: installs the wrk load generator when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  echo "== installing wrk" >&2
  local sudo_=""
  [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends wrk >/dev/null
}

# start_server LOG COMMAND...: runs COMMAND in the background, adds its pid to $pids and sets
# $pid, and sets $port from the "listening on http://127.0.0.1:PORT" line of its log (at most
# 60 s).
start_server() {
  local log=$1
  shift
  "$@" 2>"$log" >/dev/null &
  pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 600); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start:" >&2
  cat "$log" >&2
  return 1
}

# wrk prints latencies as 812.00us, 1.23ms or 1.01s; to_ms turns them into milliseconds.
to_ms() {
  awk '{
    v = $1
    if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v) }
    else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
    printf "%.2f", v
  }'
}

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
