# asr-preflight probe "storage": the LVM logical volumes GRUB's kernel line names and the ones
# lvs lists (ASR312), and the Azure data disks by LUN with their partitions and signatures (ASR313).
# POSIX sh. Read-only: it reads files and symlinks and runs `lvs --readonly` (as root; for another
# user through `sudo -n lvs …`, which never prompts, and only when the first argument is "sudo",
# i.e. the plan says `[guest.linux] sudo = true`: a sudo that is refused still logs a failed
# authentication and writes its timestamp file, so sudo is never tried uninvited), lsblk and
# `blkid -p` (only on a device it may read, else the udev database); it writes nothing.
# Prints one JSON object.
use_sudo=${1:-}
LC_ALL=C; export LC_ALL
LVM_SUPPRESS_FD_WARNINGS=1; export LVM_SUPPRESS_FD_WARNINGS
PATH=$PATH:/usr/sbin:/sbin; export PATH

js() {  # a JSON string; only text with quotes, backslashes or control characters costs a process
  case $1 in
    *[\"\\]*|*[![:print:]]*)
      printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ;;
    *) printf '"%s"' "$1" ;;
  esac
}

jlist() {  # the lines of stdin as a JSON array of strings
  printf '['
  sep=''
  while IFS= read -r item; do
    [ -n "$item" ] || continue
    printf '%s%s' "$sep" "$(js "$item")"; sep=','
  done
  printf ']'
}

# -- GRUB: rd.lvm.lv=VG/LV and rd_LVM_LV=VG/LV on the kernel line (GRUB 1/2, EFI, BLS entries)
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
# root-only), may name volumes too: reported, so that a partial read is never a full answer
for d in /boot/grub /boot/grub2 /boot/efi /boot/efi/EFI /boot/efi/EFI/* /boot/loader/entries; do
  [ -d "$d" ] || continue
  { [ -r "$d" ] && [ -x "$d" ]; } || unreadable="$unreadable $d/"
done
printf '{'
if [ -n "$unreadable" ]; then
  printf '"grub_unreadable":%s,' "$(for f in $unreadable; do echo "$f"; done | jlist)"
fi
if [ -z "$files" ]; then
  printf '"grub_files":null,"grub_lvm_volumes":null'
else
  printf '"grub_files":%s' "$(for f in $files; do echo "$f"; done | jlist)"
  # shellcheck disable=SC2086
  printf ',"grub_lvm_volumes":%s' "$(awk '
    /^[[:space:]]*#/ { next }
    {
      line = $0
      while (match(line, /(rd\.lvm\.lv|rd_LVM_LV)=[^ \t"'"'"']+/)) {
        token = substr(line, RSTART, RLENGTH)
        sub(/^[^=]*=/, "", token)
        if (!(token in seen)) { seen[token] = 1; print token }
        line = substr(line, RSTART + RLENGTH)
      }
    }' $files 2>/dev/null | jlist)"
fi

# -- lvs: needs root to read the devices; never prompts for a password
lvs_out=''; lvs_error=''
if ! command -v lvs >/dev/null 2>&1; then
  lvs_error='lvs is not installed (package lvm2)'
else
  # --readonly: read the metadata as it is; locking_type = 0: no lock files (LVM 2.03 would
  # otherwise create /run/lock/lvm; it reads the setting as --nolocking, with a warning on
  # stderr that the parser skips; --nolocking itself is unknown to LVM 2.02);
  # hints = none: lvs would otherwise rewrite its cache /run/lvm/hints;
  # write_cache_state = 0: LVM 2.02 (RHEL 6/7) rewrites /etc/lvm/cache/.cache after a scan
  # (LVM 2.03 knows the setting as deprecated and ignores it)
  set -- lvs --readonly \
    --config 'global { locking_type = 0 } devices { hints = "none" write_cache_state = 0 }' \
    --noheadings --separator / \
    -o vg_name,lv_name
  if [ "$(id -u)" != 0 ]; then
    if [ "$use_sudo" != sudo ]; then
      lvs_error='lvs needs root: the probe user is not root and sudo is off ([guest.linux] sudo = false)'
    elif command -v sudo >/dev/null 2>&1; then
      set -- sudo -n "$@"
    else
      lvs_error='lvs needs root and the probe user is not root (no sudo)'
    fi
  fi
  # a device that hangs (a dead iSCSI path) must not hang the probe: at most 10 s
  command -v timeout >/dev/null 2>&1 && set -- timeout 10 "$@"
  if [ -z "$lvs_error" ]; then
    # stdout and stderr together (no temporary file): a volume is a "vg/lv" line, nothing else
    out=$("$@" 2>&1 </dev/null); rc=$?
    if [ "$rc" = 0 ]; then
      lvs_out=$(printf '%s\n' "$out" | sed -n 's|^[[:space:]]*\([A-Za-z0-9+_.-]*/[A-Za-z0-9+_.-]*\)[[:space:]]*$|\1|p')
    else
      why=$(printf '%s\n' "$out" | grep -v -i 'warning' | sed -e 's/^[[:space:]]*//' | head -n 1)
      case $rc:$why in
        124:*) lvs_error='lvs did not answer within 10 s' ;;
        *password*|*sudo*) lvs_error="lvs needs root and sudo -n refused: $why" ;;
        *) lvs_error="lvs failed (exit status $rc): ${why:-no error output}" ;;
      esac
    fi
  fi
fi
if [ -n "$lvs_error" ]; then
  printf ',"logical_volumes":null,"lvs_error":%s' "$(js "$lvs_error")"
else
  printf ',"logical_volumes":%s' "$(printf '%s\n' "$lvs_out" | jlist)"
fi

# -- data disks by LUN: the Azure udev links (WALinuxAgent: scsi1/lunN, azure-vm-utils:
#    data/by-lun/N); a partition shows as lunN-partM or as a child in /sys/class/block
dir=''
for d in /dev/disk/azure/scsi1 /dev/disk/azure/data/by-lun; do
  [ -d "$d" ] && { dir=$d; break; }
done
if [ -z "$dir" ]; then
  if [ -d /dev/disk/azure ]; then  # the Azure udev rules ran and found no data disk
    printf ',"lun_dir":null,"luns":[]}\n'
  else
    printf ',"luns":null,"luns_error":"no /dev/disk/azure directory (the Azure udev rules of WALinuxAgent or azure-vm-utils are not installed)"}\n'
  fi
  exit 0
fi
printf ',"lun_dir":%s,"luns":[' "$(js "$dir")"
sep=''
for link in "$dir"/*; do
  [ -L "$link" ] || continue
  name=${link##*/}
  case $name in *-part*) continue ;; esac
  lun=${name#lun}
  case $lun in ''|*[!0-9]*) continue ;; esac
  target=$(readlink -f "$link" 2>/dev/null)
  base=${target##*/}
  parts=0
  for p in "$dir/$name"-part*; do [ -L "$p" ] && parts=$((parts + 1)); done
  if [ "$parts" = 0 ] && [ -n "$base" ] && [ -d "/sys/class/block/$base" ]; then
    for p in "/sys/class/block/$base/$base"*; do [ -e "$p/partition" ] && parts=$((parts + 1)); done
  fi
  pttype='null'; fstype='null'; detail=''
  if [ ! -b "$target" ]; then
    detail="$target is not a block device"
  elif [ -r "$target" ] && command -v blkid >/dev/null 2>&1; then
    # low-level probe of the device itself (read-only); exit 2 = no signature at all
    if command -v timeout >/dev/null 2>&1; then
      out=$(timeout 5 blkid -p -o export "$target" 2>/dev/null); rc=$?
    else
      out=$(blkid -p -o export "$target" 2>/dev/null); rc=$?
    fi
    if [ "$rc" = 0 ] || [ "$rc" = 2 ]; then
      pttype=$(js "$(printf '%s\n' "$out" | sed -n 's/^PTTYPE=//p' | head -n 1)")
      fstype=$(js "$(printf '%s\n' "$out" | sed -n 's/^TYPE=//p' | head -n 1)")
    else
      detail="blkid -p failed with exit status $rc"
    fi
  else
    # not readable by this user: what udev's blkid builtin recorded when the disk appeared
    # (an entry without ID_FS_TYPE and ID_PART_TABLE_TYPE is a disk udev found blank)
    majmin=$(cat "/sys/class/block/$base/dev" 2>/dev/null)
    db="/run/udev/data/b$majmin"
    if [ -n "$majmin" ] && [ -r "$db" ]; then
      pttype=$(js "$(sed -n 's/^E:ID_PART_TABLE_TYPE=//p' "$db" | head -n 1)")
      fstype=$(js "$(sed -n 's/^E:ID_FS_TYPE=//p' "$db" | head -n 1)")
    else
      detail="$target is not readable by the probe user and udev has no record of it"
    fi
  fi
  printf '%s{"lun":%s,"device":%s,"partitions":%s,"pttype":%s,"fstype":%s' \
    "$sep" "$lun" "$(js "$target")" "$parts" "$pttype" "$fstype"
  [ -n "$detail" ] && printf ',"detail":%s' "$(js "$detail")"
  printf '}'
  sep=','
done
printf ']}\n'
