# asr-preflight probe "ports": a TCP connect from this guest to each peer, telling apart
# connected, refused (nothing listening, or a REJECT rule) and timed out (a DROP rule).
# Usage: ports.sh TIMEOUT PORT ADDRESS...
# POSIX sh + coreutils timeout, using bash's /dev/tcp (or openssl s_client when bash is
# absent). Read-only: the connection is opened and closed without sending data.
# Prints one JSON object: {"ports": [{"address", "port", "result", "detail"}]}.
LC_ALL=C; export LC_ALL
T=$1; PORT=$2; shift 2

js() {  # a JSON string; only text with quotes, backslashes or control characters costs a process
  case $1 in
    *[\"\\]*|*[![:print:]]*)
      printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ;;
    *) printf '"%s"' "$1" ;;
  esac
}

probe() {
  ip=$1
  if command -v bash >/dev/null 2>&1; then
    err=$(timeout "$T" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$ip" "$PORT" 2>&1 </dev/null); rc=$?
  else
    err=$(timeout "$T" openssl s_client -connect "$ip:$PORT" 2>&1 </dev/null); rc=$?
    case $err in *CONNECTED*) rc=0 ;; esac
  fi
  case $rc in
    0) result=connected; err='' ;;
    124) result=timeout; err="no answer within $T s" ;;
    *) case $err in *efused*) result=refused ;; *) result=error ;; esac
       err=$(printf '%s\n' "$err" | tail -n 1) ;;
  esac
  # one printf per result: a single write, so parallel probes never interleave their lines
  printf '{"address":%s,"port":%s,"result":"%s","detail":%s}\n' "$(js "$ip")" "$PORT" "$result" "$(js "$err")"
}

{
  for ip in "$@"; do probe "$ip" & done
  wait
} | {
  printf '{"ports":['
  sep=''
  while IFS= read -r line; do printf '%s%s' "$sep" "$line"; sep=','; done
  printf ']}\n'
}
