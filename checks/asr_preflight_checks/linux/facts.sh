# asr-preflight probe "facts": OS release (and /etc/debian_version), kernel, free space on /, GRUB root=/resume= names
# (and the GRUB files it could not read), clock.
# POSIX sh + coreutils. Read-only: it reads files and runs uname, df and date; it writes nothing.
# Prints one JSON object.
LC_ALL=C; export LC_ALL

js() {  # a JSON string; only text with quotes, backslashes or control characters costs a process
  case $1 in
    *[\"\\]*|*[![:print:]]*)
      printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ;;
    *) printf '"%s"' "$1" ;;
  esac
}

printf '{"os_release":{'
sep=''
if [ -r /etc/os-release ]; then
  while IFS='=' read -r key value; do
    case $key in
      ID|ID_LIKE|NAME|PRETTY_NAME|VERSION|VERSION_ID)
        value=${value#\"}; value=${value%\"}; value=${value#\'}; value=${value%\'}
        printf '%s%s:%s' "$sep" "$(js "$key")" "$(js "$value")"; sep=',' ;;
    esac
  done < /etc/os-release
fi
if [ -r /etc/debian_version ]; then  # Debian's point release (os-release says only "9")
  IFS= read -r value < /etc/debian_version
  printf '%s"DEBIAN_VERSION":%s' "$sep" "$(js "$value")"
fi
printf '},"kernel":%s' "$(js "$(uname -r)")"

free_kb=$(df -Pk / 2>/dev/null | awk 'NR==2 {print $4}')
case $free_kb in ''|*[!0-9]*) printf ',"root_free_bytes":null' ;;
  *) printf ',"root_free_bytes":%s' "$((free_kb * 1024))" ;; esac

# GRUB: kernel parameters root= and resume= (not GRUB's own "set root=" variable), also in
# grubenv's kernelopts= and BLS entries' options lines (RHEL 8+)
files=''; unreadable=''
for f in /boot/grub/menu.lst /boot/grub/grub.cfg /boot/grub2/grub.cfg /boot/grub2/grubenv \
         /etc/default/grub /boot/efi/EFI/*/grub.cfg /boot/loader/entries/*.conf; do
  if [ -r "$f" ] && [ -f "$f" ]; then
    files="$files $f"
  elif [ -e "$f" ]; then
    unreadable="$unreadable $f"
  fi
done
# a GRUB file this user cannot read, or a directory it cannot list (/boot/efi is often mounted
# root-only), may name devices too: reported, so that a partial read is never a full answer
for d in /boot/grub /boot/grub2 /boot/efi /boot/efi/EFI /boot/efi/EFI/* /boot/loader/entries; do
  [ -d "$d" ] || continue
  { [ -r "$d" ] && [ -x "$d" ]; } || unreadable="$unreadable $d/"
done
if [ -n "$unreadable" ]; then
  printf ',"grub_unreadable":['
  sep=''; for f in $unreadable; do printf '%s%s' "$sep" "$(js "$f")"; sep=','; done
  printf ']'
fi
if [ -z "$files" ]; then
  printf ',"grub_files":null,"grub_device_names":null'
else
  printf ',"grub_files":['
  sep=''; for f in $files; do printf '%s%s' "$sep" "$(js "$f")"; sep=','; done
  printf '],"grub_device_names":['
  # shellcheck disable=SC2086
  awk '
    /^[ \t]*#/ { next }
    /^[ \t]*set[ \t]+root=/ { next }
    {
      line = $0
      while (match(line, /(^|[ \t"'"'"'=])(root|resume)=[^ \t"'"'"']+/)) {
        token = substr(line, RSTART, RLENGTH)
        sub(/^[ \t"'"'"'=]/, "", token)
        if (!(token in seen)) { seen[token] = 1; print token }
        line = substr(line, RSTART + RLENGTH)
      }
    }' $files 2>/dev/null | {
    sep=''
    while IFS= read -r token; do printf '%s%s' "$sep" "$(js "$token")"; sep=','; done
  }
  printf ']'
fi
printf ',"clock_utc":%s}\n' "$(js "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
