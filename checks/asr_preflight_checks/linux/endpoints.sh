# asr-preflight probe "endpoints": DNS resolution and a verified TLS handshake per endpoint.
# Usage: endpoints.sh TIMEOUT PROXY NAME=HOST:PORT...   (PROXY is "-" for a direct connection)
# POSIX sh + getent, and curl (or openssl s_client when curl is absent). Read-only: nothing is
# written (not even a temporary file); the HTTPS request is a GET of "/" whose answer is thrown
# away. The proxy is given WITHOUT credentials, as the ASR mobility agent (which cannot
# authenticate) would use it; a "407" answer to CONNECT is recorded. Everything runs in
# parallel: one curl process with --parallel when curl >= 7.75, else one process per endpoint.
# Prints one JSON object: {"endpoints": [...]}.
LC_ALL=C; export LC_ALL
T=$1; PROXY=$2; shift 2
EPS=$*              # NAME=HOST:PORT words (the checker validates host names)
NL='
'
set -f              # no globbing of anything below

js() {  # a JSON string; only text with quotes, backslashes or control characters costs a process
  case $1 in
    *[\"\\]*|*[![:print:]]*)
      printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ;;
    *) printf '"%s"' "$1" ;;
  esac
}

via() {  # run command $1 with curl's proxy options first, then the other arguments
  cmd=$1; shift
  if [ "$PROXY" = - ]; then set -- --noproxy '*' "$@"; else set -- --proxy "$PROXY" --noproxy '' "$@"; fi
  "$cmd" -q "$@"  # -q first: never read the probing user's ~/.curlrc (insecure, proxy-user…)
}

curl_parallel() {  # URL... -> lines URL|CONNECT-STATUS|EXIT|ERROR
  urls=$*; set --
  for u in $urls; do set -- "$@" -o /dev/null "$u"; done
  via curl -sS --parallel --connect-timeout "$T" -m "$((T * 2))" \
    -w '%{url}|%{http_connect}|%{exitcode}|%{errormsg}\n' "$@" 2>/dev/null </dev/null
}

curl_one() {  # URL -> one line URL|CONNECT-STATUS|EXIT|ERROR
  out=$(via curl -sS -o /dev/null -w '\n%{http_connect}' --connect-timeout "$T" -m "$((T * 2))" \
        "$1" 2>&1 </dev/null); rc=$?
  last=${out##*"$NL"}; err=${out%"$NL$last"}; err=${err%%"$NL"*}; err=${err#curl: }
  printf '%s|%s|%s|%s\n' "$1" "$last" "$rc" "$err"
}

openssl_one() {  # URL -> one line URL|CONNECT-STATUS|EXIT|ERROR
  hp=${1#https://}; hp=${hp%/}
  set -- "$1" -connect "$hp" -servername "${hp%:*}" -verify_return_error -brief
  [ "$PROXY" != - ] && set -- "$@" -proxy "${PROXY#*://}"
  u=$1; shift
  out=$(timeout "$((T * 2))" openssl s_client "$@" 2>&1 </dev/null); rc=$?
  status=000; case $out in *" 407 "*) status=407 ;; esac
  case $rc:$out in
    0:*"Verification: OK"*) err='' ;;
    124:*) rc=28; err="timed out after $((T * 2)) s" ;;
    *) [ "$rc" = 0 ] && rc=1
       err=$(printf '%s\n' "$out" | grep -iE 'error|fail|refused|timed out' | head -n 1) ;;
  esac
  printf '%s|%s|%s|%s\n' "$u" "$status" "$rc" "$err"
}

URLS=''
for ep in $EPS; do URLS="$URLS https://${ep#*=}/"; done

# DNS for every name at once: lines "HOST ADDRESS..."
DNS=$(
  for ep in $EPS; do
    hp=${ep#*=}; host=${hp%:*}
    ( printf '%s %s\n' "$host" "$(getent ahosts "$host" 2>/dev/null | awk '!seen[$1]++ {printf "%s ", $1}')" ) &
  done
  wait
)

TOOL=''
if command -v curl >/dev/null 2>&1; then
  TOOL=curl
  version=$(curl --version 2>/dev/null | awk 'NR == 1 {split($2, v, "."); print v[1] * 1000 + v[2]}')
  if [ "${version:-0}" -ge 7075 ]; then
    # shellcheck disable=SC2086
    TLS=$(curl_parallel $URLS)
  else
    TLS=$(for u in $URLS; do curl_one "$u" & done; wait)
  fi
elif command -v openssl >/dev/null 2>&1; then
  TOOL=openssl
  TLS=$(for u in $URLS; do openssl_one "$u" & done; wait)
fi

printf '{"endpoints":['
sep=''
for ep in $EPS; do
  name=${ep%%=*}; hp=${ep#*=}; host=${hp%:*}; port=${hp##*:}; url="https://$hp/"
  addrs=''; line=''
  IFS=$NL
  for l in $DNS; do case $l in "$host "*) addrs=${l#"$host "} ;; esac; done
  for l in $TLS; do case $l in "$url|"*) line=$l ;; esac; done
  IFS=' '
  list=''; s2=''
  for a in $addrs; do list="$list$s2$(js "$a")"; s2=','; done
  resolved=false; [ -n "$list" ] && resolved=true
  tls=null; status=null; error=''
  if [ -z "$TOOL" ]; then
    error='neither curl nor openssl is installed'
  elif [ -z "$line" ]; then
    tls=false; error='the TLS probe gave no result'
  else
    rest=${line#"$url|"}; code=${rest%%|*}; rest=${rest#*|}; rc=${rest%%|*}; error=${rest#*|}
    if [ "$rc" = 0 ]; then tls=true; error=''; else tls=false; [ -n "$error" ] || error="curl exit $rc"; fi
    case $code in [1-9][0-9][0-9]) [ "$PROXY" != - ] && status=$code ;; esac
  fi
  printf '%s{"name":%s,"host":%s,"port":%s,"resolved":%s,"addresses":[%s],"tls_ok":%s,"proxy_status":%s,"error":%s}' \
    "$sep" "$(js "$name")" "$(js "$host")" "$port" "$resolved" "$list" "$tls" "$status" "$(js "$error")"
  sep=','
done
printf ']}\n'
