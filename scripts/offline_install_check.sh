#!/usr/bin/env bash
# The offline install, as a county's server does it (docs/operator/install.md):
# a wheelhouse of the production lock, a fresh venv installed from it with every
# index disabled, then the server started with production settings on a fresh
# PostgreSQL database and asked for /healthz. Run by .ci/run.
#
#   OFFLINE_DB   database to create and drop (default pims_offline_check)
#   OFFLINE_PORT port for gunicorn (default 8199)
set -euo pipefail
cd "$(dirname "$0")/.."

db=${OFFLINE_DB:-pims_offline_check}
port=${OFFLINE_PORT:-8199}
pg="-h 127.0.0.1 -p 5432 -U postgres"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -QUIT "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  dropdb $pg --if-exists --force "$db" || true
  # Deleting a venv's thousands of files takes long on slow disks: in the background.
  (rm -rf "$work" &)
}
trap cleanup EXIT

started=$(date +%s)
make -s wheelhouse WHEELHOUSE="$work/wheelhouse" >/dev/null 2> >(grep -v "is ignored" >&2)
make -s install-offline VENV="$work/venv" WHEELHOUSE="$work/wheelhouse"
for tool in pytest ruff playwright hypothesis; do
  if "$work/venv/bin/python" -c "import $tool" 2>/dev/null; then
    echo "offline install: development tool $tool was installed on the server" >&2
    exit 1
  fi
done

dropdb $pg --if-exists --force "$db"
createdb $pg --encoding UTF8 --locale C.UTF-8 --template template0 "$db"
key() { "$work/venv/bin/python" -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"; }
export PIMS_ENV=production
export SECRET_KEY="$("$work/venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
export FIELD_ENCRYPTION_KEYS="$(key)" BLIND_INDEX_KEY="$(key)" AUDIT_CHAIN_KEY="$(key)"
export BACKUP_RECIPIENTS="$("$work/venv/bin/python" -c 'from pyrage import x25519; print(x25519.Identity.generate().to_public())')"
export MEDIA_ROOT="$work/media" BACKUP_DIR="$work/backups"
py="$work/venv/bin/python"
"$py" manage.py check --deploy --fail-level WARNING
"$py" manage.py migrate --noinput -v0
"$py" manage.py collectstatic --noinput -v0

# As deploy/systemd/pims.service starts it (its config, one worker, our port).
PIMS_BIND="127.0.0.1:$port" PIMS_WORKERS=1 "$work/venv/bin/gunicorn" --config deploy/gunicorn.conf.py \
  config.wsgi:application >"$work/gunicorn.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/gunicorn.log" >&2; exit 1; }
  sleep 1
done
status=$(curl -sS -o "$work/health" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
login=$(curl -sS -o "$work/page" -w '%{http_code}' -H "X-Forwarded-Proto: https" "http://127.0.0.1:$port/accounts/login/")
if [ "$status" != 200 ] || ! grep -q '"status": "ok"' "$work/health" || [ "$login" != 200 ] || ! grep -q "登录" "$work/page"; then
  echo "offline install: /healthz answered $status, the login page $login" >&2
  cat "$work/health" "$work/gunicorn.log" >&2
  exit 1
fi
echo "offline install: production set from the wheelhouse, server up with production settings ($(($(date +%s) - started)) s)"
