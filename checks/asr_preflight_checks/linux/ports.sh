# asr-preflight probe "ports": a TCP connect from this guest to each peer, telling apart
# connected, refused (nothing listening, or a REJECT rule) and timed out (a DROP rule).
# Usage: ports.sh TIMEOUT PORT ADDRESS...
# POSIX sh + coreutils timeout, using bash's /dev/tcp (or openssl s_client when bash is
# absent). Read-only: each connection is opened and closed without sending data. All peers are
# tried at once under one `timeout`, which ends the whole process group; a peer that has not
# answered by then timed out.
# Prints one JSON object: {"ports": [{"address", "port", "result", "detail"}]}.
LC_ALL=C; export LC_ALL
T=$1; PORT=$2; shift 2
NL='
'
set -f

js() {  # a JSON string; only text with quotes, backslashes or control characters costs a process
  case $1 in
    *[\"\\]*|*[![:print:]]*)
      printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ;;
    *) printf '"%s"' "$1" ;;
  esac
}

# lines "ADDRESS connected" or "ADDRESS failed REASON"
if command -v bash >/dev/null 2>&1; then
  OUT=$(timeout "$T" bash -c '
    port=$1; shift
    for ip in "$@"; do
      (
        if err=$( { exec 3<>"/dev/tcp/$ip/$port"; } 2>&1 ); then echo "$ip connected"
        else err=${err##*: }; echo "$ip failed ${err:-connect failed}"; fi
      ) &
    done
    wait' asr-preflight-ports "$PORT" "$@" 2>/dev/null </dev/null)
elif command -v openssl >/dev/null 2>&1; then
  OUT=$(
    for ip in "$@"; do
      (
        out=$(timeout "$T" openssl s_client -connect "$ip:$PORT" 2>&1 </dev/null)
        case $out in
          *CONNECTED*) echo "$ip connected" ;;
          *efused*) echo "$ip failed Connection refused" ;;
          *unreachable*|*"No route"*) echo "$ip failed No route to host" ;;
        esac
      ) &
    done
    wait
  )
else
  OUT=''
fi

printf '{"ports":['
sep=''
for ip in "$@"; do
  line=''
  IFS=$NL
  for l in $OUT; do case $l in "$ip "*) line=${l#"$ip "} ;; esac; done
  IFS=' '
  case $line in
    connected) result=connected; detail='' ;;
    failed*efused*) result=refused; detail=${line#failed } ;;
    failed*) result=error; detail=${line#failed } ;;
    *) result=timeout; detail="no answer within $T s" ;;
  esac
  [ -n "$OUT$line" ] || { command -v bash >/dev/null 2>&1 || command -v openssl >/dev/null 2>&1; } \
    || { result=error; detail='neither bash nor openssl is installed'; }
  printf '%s{"address":%s,"port":%s,"result":"%s","detail":%s}' "$sep" "$(js "$ip")" "$PORT" "$result" "$(js "$detail")"
  sep=','
done
printf ']}\n'
