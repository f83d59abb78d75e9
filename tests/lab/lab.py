"""The guest lab: Linux "VMs" made of namespaces, with a real OpenSSH sshd, real nftables rules
and a real tinyproxy, plus a fake Azure HTTPS endpoint with a lab CA.

Each VM is a network namespace on a private bridge (its own address, routes, firewall and
ports) running ``unshare --mount --uts --pid`` with an overlay over ``/etc`` (the host's /etc
below, the VM's own files on top: os-release, environment, hosts, passwd/shadow, sshd config and
host key, CA bundles, yum.conf…), so each VM is a different "distribution" with its own trust
store and proxy settings, and sshd is its PID 1. Nothing in the host's /etc is written.

Safety: the namespaces have no default route and resolve names from their own /etc/hosts only
(``nameserver 127.0.0.1``); a guard table on the host drops any packet for the lab subnet that
would leave by another interface. Names carry a random token (``asl<hex>``) and the subnet is
chosen among unused 10.x.y.0/24 networks, so parallel or leftover labs do not collide; a lab
whose owner process died is swept away by the next one.

Used by tests/lab (session fixture) and bench/guests.py. Needs root, iproute2, util-linux,
openssh-server, nftables, tinyproxy and openssl.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import disks

HERE = Path(__file__).parent
STATE_DIR = Path("/tmp/asr-preflight-lab")
AZURE_NAMES = (
    "login.microsoftonline.com",
    "labcache.blob.core.windows.net",
    "wus2.hypervrecoverymanager.windowsazure.com",
    "labns.servicebus.windows.net",
)
MS_RSA_2017 = "C741F70F4B2A8D88BF2E71C14122EF53EF10EBA0CFA5E64CFA20F418853073E0"
BALTIMORE = "16AF57A9F676B0AB126095AA5EBADEF22AB31119D644AC95CD4B93DBF3F26AEB"
NEEDED = (
    "ip",
    "unshare",
    "nft",
    "tinyproxy",
    "ssh-keygen",
    "openssl",
    "sshd",
    "losetup",
    "lvs",
    "blkid",
    "sudo",
)
UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n'
DEBIAN = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n'
    'VERSION_ID="12"\n'
)
RHEL = (
    'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="8.10"\n'
    'PRETTY_NAME="Red Hat Enterprise Linux 8.10 (Ootpa)"\n'
)


def missing_prerequisites() -> str | None:
    """Why the lab cannot start here, or None."""
    if os.geteuid() != 0:
        return "the guest lab needs root (network and mount namespaces)"
    absent = [c for c in NEEDED if shutil.which(c, path="/usr/sbin:/usr/bin:/sbin:/bin") is None]
    if absent:
        return (
            f"the guest lab needs {', '.join(absent)} "
            "(Debian: openssh-server nftables tinyproxy lvm2 sudo)"
        )
    return None


@dataclass
class VmSpec:
    name: str
    os_release: str = UBUNTU
    bundle: str = "healthy"  # healthy | stale
    layout: str = "debian"  # debian | rhel (CA bundle under /etc/pki)
    environment: tuple[str, ...] = ()  # lines for /etc/environment
    files: dict[str, str] = field(default_factory=dict)  # path under /etc -> content
    resolve_azure: bool = True  # /etc/hosts maps the Azure names to the fake endpoint
    listen_20004: bool = False
    drop_ports: tuple[int, ...] = ()  # an nftables DROP in the VM's own firewall
    grub: str = (
        'GRUB_CMDLINE_LINUX="root=UUID=2f1e5c1a-2b7d-4d0e-9a57-3c1f0d2b6e11 console=ttyS0"\n'
    )
    wrong_known_host_key: bool = False  # known_hosts carries another key for this VM
    ip: str = ""
    # disks (tests/lab/disks.py): LUN -> "mbr" | "blank" | "pv"; None = no /dev/disk/azure
    luns: dict[int, str] | None = None
    lvm: dict[str, tuple[str, ...]] = field(default_factory=dict)  # VG -> LV names
    udev: bool = False  # /run/udev/data entries for the LUN devices, as udev writes them
    sudo_lvs: bool = False  # azureuser may `sudo -n lvs`
    disk_group: bool = False  # azureuser is in group disk (may read the disks)


def _run(
    *args: str, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, input=input, capture_output=True, text=True, check=False, timeout=30
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:4])}: exit {done.returncode}: {done.stderr.strip()[:300]}"
        )
    return done


class Lab:
    def __init__(self, root: Path, vm_password: str, proxy_password: str) -> None:
        self.root = root
        self.vm_password = vm_password
        self.proxy_password = proxy_password
        self.token = f"{random.randrange(0x1000):03x}"
        self.prefix = f"asl{self.token}"
        self.bridge = f"{self.prefix}-br"
        self.net = _free_subnet()
        self.host_ip = f"{self.net}.1"
        self.inet_ip = f"{self.net}.2"
        self.proxy_ip = f"{self.net}.3"
        self.auth_proxy = f"http://{self.proxy_ip}:3128"
        self.open_proxy = f"http://{self.proxy_ip}:3129"
        self.vms: dict[str, VmSpec] = {}
        self.disks: dict[str, disks.GuestDisks] = {}
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.client_key = root / "client" / "id_ed25519"
        self.known_hosts = root / "client" / "known_hosts"
        self.ca_pem = root / "fx" / "labca.pem"

    @property
    def subnet(self) -> str:
        return f"{self.net}.0/24"

    # -- lifecycle ---------------------------------------------------------------------------

    def up(self, vms: list[VmSpec]) -> None:
        sweep_stale()
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        (STATE_DIR / f"{self.prefix}.json").write_text(
            json.dumps({"pid": os.getpid(), "bridge": self.bridge, "guard": f"{self.prefix}_guard"})
        )
        try:
            for d in ("fx", "client", "logs", "vms", "proxy"):
                (self.root / d).mkdir(parents=True, exist_ok=True)
            self._fixtures()
            self._network()
            for number, spec in enumerate(vms):
                spec.ip = f"{self.net}.{10 + number}"
                self.vms[spec.name] = spec
                self._node(spec.name)
            for spec in vms:
                self.disks[spec.name] = disks.make(
                    self.root / "vms" / spec.name / "disks", self.prefix, spec.name,
                    spec.luns, spec.lvm, spec.udev,
                )  # fmt: skip
            for spec in vms:
                self._start_vm(spec)
            self._known_hosts()
            self._start_inet()
            self._start_proxies()
            for spec in vms:
                self._firewall(spec)
            deadline = time.monotonic() + 15
            waits = [(s.ip, 22) for s in vms if 22 not in s.drop_ports]
            waits += [(self.inet_ip, 443), (self.proxy_ip, 3128), (self.proxy_ip, 3129)]
            waits += [(s.ip, 20004) for s in vms if s.listen_20004 and 20004 not in s.drop_ports]
            for host, port in waits:
                _wait_port(host, port, deadline)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        self._tail = self.log_tail() if (self.root / "logs").exists() else ""
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)  # unshare --kill-child takes the VM with it
        for proc in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for ns in self.namespaces:
            _kill_namespace(ns)
        _remove(self.prefix, self.namespaces, self.bridge)
        disks.detach(self.prefix)
        self.processes.clear()
        self.namespaces.clear()
        with contextlib.suppress(FileNotFoundError):
            (STATE_DIR / f"{self.prefix}.json").unlink()

    def log_tail(self, lines: int = 5) -> str:
        if getattr(self, "_tail", ""):
            return self._tail
        out = []
        for path in sorted((self.root / "logs").glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)

    # -- fixtures ----------------------------------------------------------------------------

    def _fixtures(self) -> None:
        import trustme

        ca = trustme.CA(organization_name="asr-preflight lab")
        server = ca.issue_cert(*AZURE_NAMES)
        fx = self.root / "fx"
        ca.cert_pem.write_to_path(str(self.ca_pem))
        server.private_key_pem.write_to_path(str(fx / "endpoint.key"))
        (fx / "endpoint.pem").write_bytes(b"".join(b.bytes() for b in server.cert_chain_pems))
        healthy, stale = _bundles()
        lab_ca = ca.cert_pem.bytes().decode()
        (fx / "healthy.pem").write_text(healthy + lab_ca)
        (fx / "stale.pem").write_text(stale + lab_ca)
        _run(
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "asr-lab",
            "-f",
            str(self.client_key),
        )
        self.shadow_hash = _run(
            "openssl", "passwd", "-6", "-stdin", input=self.vm_password
        ).stdout.strip()

    # -- network -----------------------------------------------------------------------------

    def _network(self) -> None:
        guard = (
            f"table inet {self.prefix}_guard {{\n chain out {{\n"
            "  type filter hook output priority 0; policy accept;\n"
            f'  ip daddr {self.subnet} oifname != {{ "{self.bridge}", "lo" }} drop\n }}\n}}\n'
        )
        _run("nft", "-f", "-", input=guard)
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        self._node("inet", self.inet_ip)
        self._node("proxy", self.proxy_ip)

    def _node(self, name: str, ip: str | None = None) -> None:
        ns = self.ns(name)
        ip = ip or self.vms[name].ip
        _run("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        link = f"{self.prefix}{len(self.namespaces):02d}"
        _run("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _run("ip", "link", "set", link, "master", self.bridge, "up")
        _run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        _run("ip", "-n", ns, "link", "set", "eth0", "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")

    def vm_pid(self, name: str) -> int:
        """The PID (in the host's namespace) of the VM's PID 1, its sshd: for nsenter."""
        for pid in _run("ip", "netns", "pids", self.ns(name), check=False).stdout.split():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "sshd":
                    status = Path(f"/proc/{pid}/status").read_text()
                    nspid = re.search(r"^NSpid:\s+\d+\s+(\d+)", status, re.M)
                    if nspid and nspid.group(1) == "1":
                        return int(pid)
        raise LookupError(f"no sshd is PID 1 in {self.ns(name)}")

    def ns(self, name: str) -> str:
        return f"{self.prefix}-{name}"[:40]

    # -- VMs ---------------------------------------------------------------------------------

    def _etc(self, spec: VmSpec) -> Path:
        upper = self.root / "vms" / spec.name / "etc"
        (upper / "ssh" / "authorized_keys").mkdir(parents=True)
        (upper.parent / "work").mkdir()
        w = lambda rel, text: _write(upper / rel, text)  # noqa: E731
        w("hostname", f"{spec.name}\n")
        w("os-release", spec.os_release)
        w("resolv.conf", "nameserver 127.0.0.1\n")  # no DNS server: only /etc/hosts answers
        hosts = f"127.0.0.1 localhost\n{spec.ip} {spec.name}\n"
        if spec.resolve_azure:
            hosts += f"{self.inet_ip} {' '.join(AZURE_NAMES)}\n"
        w("hosts", hosts)
        env = 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
        w("environment", env + "".join(line + "\n" for line in spec.environment))
        for name in ("passwd", "shadow", "group"):
            shutil.copy2(f"/etc/{name}", upper / name)
        with (upper / "passwd").open("a") as f:
            f.write("azureuser:x:1001:1001:Azure admin:/home/azureuser:/bin/bash\n")
        with (upper / "shadow").open("a") as f:
            f.write(f"azureuser:{self.shadow_hash}:20000:0:99999:7:::\n")
        if spec.disk_group:
            group = (upper / "group").read_text()
            group = re.sub(
                r"^(disk:x:\d+:)(.*)$",
                lambda m: m.group(1) + (m.group(2) + "," if m.group(2) else "") + "azureuser",
                group,
                flags=re.M,
            )
            (upper / "group").write_text(group)
        with (upper / "group").open("a") as f:
            f.write("azureuser:x:1001:\n")
        if spec.sudo_lvs:
            w("sudoers.d/asr-preflight-lvs", "azureuser ALL=(root) NOPASSWD: /usr/sbin/lvs\n")
            (upper / "sudoers.d" / "asr-preflight-lvs").chmod(0o440)
        w("lvm/lvm.conf", self.disks[spec.name].lvm_conf)
        common = Path("/etc/pam.d/common-auth")
        if common.exists():  # no 2 s delay after a wrong password
            w(
                "pam.d/common-auth",
                common.read_text().replace("pam_unix.so nullok", "pam_unix.so nullok nodelay"),
            )
        _run(
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            f"root@{spec.name}",
            "-f",
            str(upper / "ssh" / "ssh_host_ed25519_key"),
        )
        pub = self.client_key.with_suffix(".pub").read_text()
        w("ssh/authorized_keys/azureuser", pub)
        w(
            "ssh/sshd_config",
            "\n".join(
                [
                    f"# asr-preflight lab {spec.name}",
                    "Port 22",
                    "HostKey /etc/ssh/ssh_host_ed25519_key",
                    "PidFile none",
                    "PermitRootLogin no",
                    "PasswordAuthentication yes",
                    "KbdInteractiveAuthentication no",
                    "AuthorizedKeysFile /etc/ssh/authorized_keys/%u",
                    "UsePAM yes",
                    "UseDNS no",
                    "PrintMotd no",
                    "LogLevel ERROR",
                    "MaxSessions 20",
                    "",
                ]
            ),
        )
        bundle = (self.root / "fx" / f"{spec.bundle}.pem").read_text()
        w("ssl/certs/ca-certificates.crt", bundle)  # what the host's curl/openssl read
        if spec.layout == "rhel":
            w("pki/tls/certs/ca-bundle.crt", bundle)
        w("default/grub", spec.grub)
        for rel, text in spec.files.items():
            w(rel, text)
        return upper

    def _start_vm(self, spec: VmSpec) -> None:
        upper = self._etc(spec)
        listener = ""
        if spec.listen_20004:  # a stand-in for the mobility agent's listener
            code = (
                "import socket\ns = socket.create_server(('', 20004))\n"
                "while True: s.accept()[0].close()"
            )
            # The base interpreter in isolated mode: the guest mounts a fresh tmpfs over /tmp, so
            # a venv (or a checkout) that lives under /tmp is not visible inside it.
            python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
            listener = f"{shlex.quote(python)} -I -S -c {shlex.quote(code)} &"
        guest_disks = self.disks[spec.name]
        dev = ""
        if guest_disks.dev_upper is not None:  # the Azure LUN links, over the host's /dev
            work = guest_disks.dev_upper.parent / "devwork"
            work.mkdir(exist_ok=True)
            dev = (
                f"mount -t overlay overlay -o lowerdir=/dev,upperdir={guest_disks.dev_upper},"
                f"workdir={work} /dev\n"
                "mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts || true\n"
            )
            for device in guest_disks.loops.values():  # as udev sets them (copied up, not host's)
                nodes = f"{device} {device}p1" if Path(f"{device}p1").exists() else device
                dev += f"chgrp disk {nodes}; chmod 0660 {nodes}\n"
        udev = "".join(
            f"printf %s {shlex.quote(text)} > /run/udev/data/{name}\n"
            for name, text in guest_disks.udev.items()
        )
        if udev:
            udev = "mkdir -p /run/udev/data\n" + udev
        script = f"""
mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},workdir={upper.parent / "work"} /etc
{dev}mount -t tmpfs -o mode=0755 tmpfs /run; mkdir -p /run/sshd
{udev}mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /home; mkdir -m 0700 /home/azureuser
chown 1001:1001 /home/azureuser
hostname {spec.name}
{listener}
exec /usr/sbin/sshd -D -e
"""
        self._spawn(
            spec.name,
            [
                "ip",
                "netns",
                "exec",
                self.ns(spec.name),
                "unshare",
                "--mount",
                "--uts",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount-proc",
                "--propagation",
                "private",
                "sh",
                "-ec",
                script,
            ],
        )

    def _firewall(self, spec: VmSpec) -> None:
        if not spec.drop_ports:
            return
        ports = ", ".join(str(p) for p in spec.drop_ports)
        rules = (
            "table inet filter {\n chain input {\n  type filter hook input priority filter;\n"
            f"  policy accept;\n  tcp dport {{ {ports} }} counter drop\n }}\n}}\n"
        )
        _run("ip", "netns", "exec", self.ns(spec.name), "nft", "-f", "-", input=rules)

    def _known_hosts(self) -> None:
        import paramiko

        lines = []
        for spec in self.vms.values():
            key_path = self.root / "vms" / spec.name / "etc" / "ssh" / "ssh_host_ed25519_key.pub"
            key = key_path.read_text().split()
            if spec.wrong_known_host_key:
                other = self.root / "client" / f"other-{spec.name}"
                _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other))
                key = other.with_suffix(".pub").read_text().split()
            hashed = paramiko.HostKeys.hash_host(
                spec.ip
            )  # hashed entries, as HashKnownHosts writes
            lines.append(f"{hashed} {key[0]} {key[1]}")
        self.known_hosts.write_text("\n".join(lines) + "\n")

    # -- the fake internet and the proxies -------------------------------------------------------

    def _start_inet(self) -> None:
        fx = self.root / "fx"
        self._spawn(
            "inet",
            [
                "ip",
                "netns",
                "exec",
                self.ns("inet"),
                sys.executable,
                str(HERE / "fake_https.py"),
                "0.0.0.0",
                "443",
                str(fx / "endpoint.pem"),
                str(fx / "endpoint.key"),
            ],
        )

    def _start_proxies(self) -> None:
        d = self.root / "proxy"
        _write(d / "hosts", f"127.0.0.1 localhost\n{self.inet_ip} {' '.join(AZURE_NAMES)}\n")
        _write(d / "resolv.conf", "nameserver 127.0.0.1\n")
        for kind, port in (("auth", 3128), ("open", 3129)):
            conf = [
                f"Port {port}",
                "Timeout 15",
                "MaxClients 200",
                "LogLevel Error",
                "ConnectPort 443",
            ]
            if kind == "auth":
                conf.append(f"BasicAuth labuser {self.proxy_password}")
            _write(d / f"{kind}.conf", "\n".join(conf) + "\n")
            os.chmod(d / f"{kind}.conf", 0o600)
            script = (
                f"mount --bind {d / 'hosts'} /etc/hosts; "
                f"mount --bind {d / 'resolv.conf'} /etc/resolv.conf; "
                f"exec tinyproxy -d -c {d / f'{kind}.conf'}"
            )
            self._spawn(
                f"proxy-{kind}",
                [
                    "ip",
                    "netns",
                    "exec",
                    self.ns("proxy"),
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "sh",
                    "-ec",
                    script,
                ],
            )

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / "logs" / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(proc)


# -- helpers --------------------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _free_subnet() -> str:
    used = []
    out = _run("ip", "-j", "addr", check=False).stdout or "[]"
    for link in json.loads(out):
        for addr in link.get("addr_info", []):
            with contextlib.suppress(ValueError):
                used.append(
                    ipaddress.ip_network(f"{addr['local']}/{addr['prefixlen']}", strict=False)
                )
    routes = _run("ip", "-j", "route", check=False).stdout or "[]"
    for route in json.loads(routes):
        with contextlib.suppress(ValueError):
            if route.get("dst") not in (None, "default"):
                used.append(ipaddress.ip_network(route["dst"], strict=False))
    for _ in range(200):
        net = f"10.{random.randrange(100, 250)}.{random.randrange(0, 256)}"
        candidate = ipaddress.ip_network(f"{net}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            return net
    raise RuntimeError("no free 10.x.y.0/24 subnet for the guest lab")


def _wait_port(host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"lab service {host}:{port} did not come up") from None
            time.sleep(0.05)


def _kill_namespace(ns: str) -> None:
    for _ in range(3):
        pids = _run("ip", "netns", "pids", ns, check=False).stdout.split()
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        time.sleep(0.05)


def _remove(prefix: str, namespaces: list[str], bridge: str) -> None:
    for ns in namespaces:
        _run("ip", "netns", "del", ns, check=False)
    _run("ip", "link", "del", bridge, check=False)
    _run("nft", "delete", "table", "inet", f"{prefix}_guard", check=False)


def sweep_stale() -> None:
    """Remove labs whose owning process is gone (a crashed or killed test session)."""
    if not STATE_DIR.exists():
        return
    listed = _run("ip", "netns", "list", check=False).stdout.split("\n")
    for state in STATE_DIR.glob("asl*.json"):
        prefix = state.stem
        try:
            owner = json.loads(state.read_text())["pid"]
            os.kill(owner, 0)
            continue  # still alive: not ours to touch
        except ProcessLookupError:
            pass
        except (ValueError, KeyError, OSError):
            pass
        namespaces = [line.split()[0] for line in listed if line.startswith(f"{prefix}-")]
        for ns in namespaces:
            _kill_namespace(ns)
        _remove(prefix, namespaces, f"{prefix}-br")
        disks.detach(prefix)
        state.unlink(missing_ok=True)


def _bundles() -> tuple[str, str]:
    """(healthy, stale) root bundles: certifi as it is; certifi without Microsoft RSA Root
    Certificate Authority 2017 and with the expired Baltimore CyberTrust Root."""
    import base64

    import certifi

    pems = re.findall(
        r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n",
        Path(certifi.where()).read_text(),
        re.S,
    )

    def sha(pem: str) -> str:
        body = "".join(pem.strip().splitlines()[1:-1])
        return hashlib.sha256(base64.b64decode(body)).hexdigest().upper()

    healthy = "".join(pems)
    stale = [p for p in pems if sha(p) != MS_RSA_2017]
    baltimore = _baltimore()
    return healthy, "".join(stale) + baltimore


def _baltimore() -> str:
    """The real, expired Baltimore CyberTrust Root from the system bundle, else a look-alike."""
    system = Path("/etc/ssl/certs/ca-certificates.crt")
    if system.exists():
        for pem in re.findall(
            r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", system.read_text(), re.S
        ):
            if "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ" in pem:
                return pem
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Baltimore"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CyberTrust"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Baltimore CyberTrust Root"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x020000B9)
        .not_valid_before(dt.datetime(2000, 5, 12, 18, 46, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2025, 5, 12, 23, 59, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
