# asr-preflight probe "proxy": every proxy setting the guest carries, credentials redacted.
# POSIX sh + sed/grep. Read-only. Sources: the login environment, /etc/environment,
# /etc/profile.d/*.sh, apt (/etc/apt/apt.conf*), yum/dnf, SUSE /etc/sysconfig/proxy and
# ASR's ProxyInfo.conf. A user:password@ part is replaced by ***@ here, inside the guest,
# so a credential never leaves the VM; "has_credentials" records that one was there.
# Prints one JSON object: {"proxies": [{"source", "url", "has_credentials", "bypass"}]}.
LC_ALL=C; export LC_ALL

js() {  # a JSON string; only text with quotes, backslashes or control characters costs a process
  case $1 in
    *[\"\\]*|*[![:print:]]*)
      printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ;;
    *) printf '"%s"' "$1" ;;
  esac
}
unquote() { printf '%s' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:];]*$//' -e 's/^"//' -e 's/"$//' -e "s/^'//" -e "s/'\$//"; }

sep=''
emit() {  # $1 source, $2 value, $3 credentials known from elsewhere (true/false), $4 bypass list
  src=$1; val=$(unquote "$2"); cred=${3:-false}; bypass=$(unquote "${4:-}")
  [ -n "$val" ] || return 0
  case $val in
    *://*@*) cred=true; val="${val%%://*}://***@${val##*@}" ;;  # userinfo = up to the last @
    *://*) ;;
    *@*) cred=true; val="***@${val##*@}" ;;
  esac
  printf '%s{"source":%s,"url":%s,"has_credentials":%s,"bypass":[' "$sep" "$(js "$src")" "$(js "$val")" "$cred"
  s2=''
  for b in $(printf '%s' "$bypass" | tr ',' ' '); do printf '%s%s' "$s2" "$(js "$b")"; s2=','; done
  printf ']}'
  sep=','
}

printf '{"proxies":['
nop=${no_proxy:-${NO_PROXY:-}}
for var in https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY; do
  eval "value=\${$var:-}"
  [ -n "$value" ] && emit "env:$var" "$value" false "$nop"
done

# KEY=VALUE files: /etc/environment and /etc/profile.d/*.sh (export lines)
for f in /etc/environment /etc/profile.d/*.sh; do
  [ -r "$f" ] || continue
  fnop=$(sed -n -E 's/^[[:space:]]*(export[[:space:]]+)?(no_proxy|NO_PROXY)=(.*)$/\3/p' "$f" | head -n 1)
  sed -n -E 's/^[[:space:]]*(export[[:space:]]+)?((https?|all|HTTPS?|ALL)_(proxy|PROXY))=(.*)$/\2 \5/p' "$f" |
    while read -r var value; do emit "$f:$var" "$value" false "$fnop"; done
done

# apt: Acquire::http::Proxy "url"; / Acquire::https::Proxy "url";
for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
  [ -r "$f" ] && [ -f "$f" ] || continue
  sed -n -E 's/^[[:space:]]*Acquire::(https?)::Proxy[[:space:]]+"([^"]*)".*$/\1 \2/Ip' "$f" |
    while read -r scheme value; do
      case $value in [Dd][Ii][Rr][Ee][Cc][Tt]|[Ff][Aa][Ll][Ss][Ee]|'') continue ;; esac
      emit "$f:Acquire::$scheme::Proxy" "$value" false
    done
done

# yum/dnf: proxy=url, proxy_username=, proxy_password=
for f in /etc/yum.conf /etc/dnf/dnf.conf; do
  [ -r "$f" ] || continue
  value=$(sed -n -E 's/^[[:space:]]*proxy[[:space:]]*=[[:space:]]*(.*)$/\1/p' "$f" | head -n 1)
  case $value in ''|_none_) continue ;; esac
  cred=false
  grep -Eq '^[[:space:]]*proxy_(username|password)[[:space:]]*=[[:space:]]*[^[:space:]]' "$f" && cred=true
  emit "$f:proxy" "$value" "$cred"
done

# SUSE: /etc/sysconfig/proxy (PROXY_ENABLED="yes")
f=/etc/sysconfig/proxy
if [ -r "$f" ] && grep -Eq '^[[:space:]]*PROXY_ENABLED="?yes' "$f"; then
  fnop=$(sed -n -E 's/^[[:space:]]*NO_PROXY=(.*)$/\1/p' "$f" | head -n 1)
  sed -n -E 's/^[[:space:]]*(HTTPS_PROXY|HTTP_PROXY)=(.*)$/\1 \2/p' "$f" |
    while read -r var value; do emit "$f:$var" "$value" false "$fnop"; done
fi

# ASR mobility agent: [proxy] Address=http://1.2.3.4 / Port=567 (+ any user/password key)
for f in /usr/local/InMage/config/ProxyInfo.conf /usr/local/ASR/Vx/etc/ProxyInfo.conf; do
  [ -r "$f" ] || continue
  address=$(sed -n -E 's/^[[:space:]]*Address[[:space:]]*=[[:space:]]*(.*)$/\1/Ip' "$f" | head -n 1)
  port=$(sed -n -E 's/^[[:space:]]*Port[[:space:]]*=[[:space:]]*([0-9]+).*$/\1/Ip' "$f" | head -n 1)
  bypass=$(sed -n -E 's/^[[:space:]]*Bypass(List)?[[:space:]]*=[[:space:]]*(.*)$/\2/Ip' "$f" | head -n 1)
  cred=false
  grep -Eiq '^[[:space:]]*(user(name)?|password)[[:space:]]*=[[:space:]]*[^[:space:]]' "$f" && cred=true
  address=$(unquote "$address")
  [ -n "$address" ] || continue
  case $address in *://*) ;; *) address="http://$address" ;; esac
  [ -n "$port" ] && address="${address%/}:$port"
  emit "$f" "$address" "$cred" "$bypass"
done
printf ']}\n'
