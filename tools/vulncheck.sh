#!/usr/bin/env bash
# Runs govulncheck on each module given. The vulnerability database is GOVULNDB (a URL, or
# file:///path of a local copy of the database) when set, else https://vuln.go.dev. When
# neither can be reached (as on machines whose only network is the module proxy), the check
# is reported NOT RUN and does not fail: nothing was learnt either way. Findings fail.
set -euo pipefail
govulncheck=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
db=${GOVULNDB:-https://vuln.go.dev}

reachable() {
  case $db in
    file://*) [ -f "${db#file://}/index/db.json" ] || [ -f "${db#file://}/index/db.json.gz" ] ;;
    http://* | https://*)
      local hostport=${db#*://}
      hostport=${hostport%%/*}
      local host=${hostport%%:*} port=443
      [[ $db == http://* ]] && port=80
      [[ $hostport == *:* ]] && port=${hostport##*:}
      timeout 10 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null ;;
    *) return 1 ;;
  esac
}

if ! reachable; then
  echo "govulncheck: NOT RUN: vulnerability database unreachable ($db)."
  echo "  Set GOVULNDB to a reachable mirror or a local copy (GOVULNDB=file:///path/to/vulndb) to run it."
  exit 0
fi
for m in "$@"; do
  echo "== govulncheck $m ($db)"
  (cd "$m" && "$govulncheck" -db "$db" ./...)
done
