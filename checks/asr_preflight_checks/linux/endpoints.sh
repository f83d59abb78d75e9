# asr-preflight probe "endpoints": DNS resolution and a verified TLS handshake per endpoint.
# Usage: endpoints.sh TIMEOUT PROXY NAME=HOST:PORT...   (PROXY is "-" for a direct connection)
# POSIX sh + getent, and curl (or openssl s_client when curl is absent). Read-only: nothing is
# written; the HTTPS request is a GET of "/" whose answer is thrown away. The proxy is given
# WITHOUT credentials, as the ASR mobility agent (which cannot authenticate) would use it; a
# "407" answer to CONNECT is recorded. Endpoints are probed in parallel.
# Prints one JSON object: {"endpoints": [...]}.
LC_ALL=C; export LC_ALL
T=$1; PROXY=$2; shift 2

js() {
  printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

probe() {  # $1 = NAME=HOST:PORT -> one JSON line
  name=${1%%=*}; hp=${1#*=}; host=${hp%:*}; port=${hp##*:}
  addrs=$(getent ahosts "$host" 2>/dev/null | awk '{print $1}' | sort -u)
  resolved=false; [ -n "$addrs" ] && resolved=true
  tls=null; status=null; error=''
  if command -v curl >/dev/null 2>&1; then
    if [ "$PROXY" = - ]; then set -- --noproxy '*'; else set -- --proxy "$PROXY" --noproxy ''; fi
    out=$(curl -sS -o /dev/null -w '\n%{http_connect}' --connect-timeout "$T" -m "$((T * 2))" \
          "$@" "https://$host:$port/" 2>&1 </dev/null); rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    case $last in [1-9][0-9][0-9]) status=$last ;; esac
    error=$(printf '%s\n' "$out" | sed '$d' | head -n 1)
    case $rc in
      0) tls=true; error='' ;;
      35|51|53|54|58|59|60|66|77|80|83|90|91) tls=false ;;          # TLS / certificate errors
      5|6|7|28|52|55|56|97) tls=false ;;                             # no connection / proxy / timeout
      *) tls=false ;;
    esac
    [ "$status" = 000 ] && status=null
    [ "$PROXY" = - ] && status=null
  elif command -v openssl >/dev/null 2>&1; then
    set -- -connect "$host:$port" -servername "$host" -verify_return_error -brief
    [ "$PROXY" != - ] && set -- "$@" -proxy "${PROXY#*://}"
    out=$(timeout "$((T * 2))" openssl s_client "$@" 2>&1 </dev/null); rc=$?
    case $out in *" 407 "*) status=407 ;; esac
    if [ $rc = 0 ] && printf '%s' "$out" | grep -q 'Verification: OK'; then tls=true
    else tls=false; error=$(printf '%s\n' "$out" | grep -iE 'error|fail|refused|timed out' | head -n 1)
      [ $rc = 124 ] && error="timed out after $((T * 2)) s"; fi
  else
    error='neither curl nor openssl is installed'
  fi
  list=''; sep=''
  for a in $addrs; do list="$list$sep$(js "$a")"; sep=','; done
  # one printf per result: a single write, so parallel probes never interleave their lines
  printf '{"name":%s,"host":%s,"port":%s,"resolved":%s,"addresses":[%s],"tls_ok":%s,"proxy_status":%s,"error":%s}\n' \
    "$(js "$name")" "$(js "$host")" "$port" "$resolved" "$list" "$tls" "$status" "$(js "$error")"
}

{
  for ep in "$@"; do probe "$ep" & done
  wait
} | {
  printf '{"endpoints":['
  sep=''
  while IFS= read -r line; do printf '%s%s' "$sep" "$line"; sep=','; done
  printf ']}\n'
}
