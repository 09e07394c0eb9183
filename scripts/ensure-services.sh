#!/usr/bin/env bash
# Starts the services the broker tests use when they are not running (the README's
# commands), on loopback: Redis 127.0.0.1:6379, NATS with JetStream 127.0.0.1:4222 and
# PostgreSQL 127.0.0.1:5432. A service that is already up is left alone.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  for _ in $(seq 1 50); do
    if up "$1"; then return 0; fi
    sleep 0.2
  done
  echo "ensure-services: $2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

if ! up 6379; then
  echo "ensure-services: starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for 6379 Redis
fi

if ! up 4222; then
  echo "ensure-services: starting NATS (JetStream) on 127.0.0.1:4222"
  mkdir -p /tmp/sluice-nats
  nohup nats-server -a 127.0.0.1 -p 4222 -js -sd /tmp/sluice-nats >/tmp/sluice-nats.log 2>&1 &
  wait_for 4222 NATS
fi

if ! up 5432; then
  echo "ensure-services: starting PostgreSQL on 127.0.0.1:5432"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for 5432 PostgreSQL
fi
