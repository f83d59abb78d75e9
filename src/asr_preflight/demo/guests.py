"""Demo estate: in-guest facts (certificates, proxies, endpoints, port probes).
Owned by the **guest** helper.

Every VM answers the probes healthily, except for one story per rule:

- vm-web-01: a never-updated trust store whose only Azure root is the expired Baltimore
  CyberTrust Root (ASR301);
- vm-app-01: an authenticating proxy, credentials in /etc/environment and a 407 (ASR304, ASR302);
- vm-db-01: custom DNS that cannot resolve the cache storage account (ASR303, ASR302);
- vm-sap-app-01: vm-sap-db-01's firewall drops port 20004 (ASR306), and GRUB still names
  /dev/sda2 (ASR308);
- vm-sap-db-01: 600 MiB free on / (ASR307), and /etc/environment points at a proxy that was
  decommissioned (ASR305, ASR302, ASR303; ASR304 is unknown: the proxy never answered);
- vm-win-sql-01: the Volume Shadow Copy service is disabled (ASR309);
- vm-app-01: RHEL 8.4 on a kernel older than the matrix's minimum for 8.4 (ASR311), and GRUB
  still names the swap volume rootvg/swaplv that was removed (ASR312);
- vm-sap-ascs-01: the data disk at LUN 0 was attached but never initialized (ASR313);
- vm-win-ad-01: WinRM refused the checker (the tier-0 DC's listener certificate is not trusted),
  so its in-guest rules are unknown;
- vm-win-file-01 is deallocated, so nothing answers: unknown as well.

vm-win-iis-01 reaches Azure through an open proxy (ASR305 passes); vm-sap-ascs-01's peers have
no listener yet (refused: ASR306 passes with a note). vm-web-01 boots from LVM volumes that all
exist (ASR312 passes); the other VMs' data disks carry a partition table or an LVM signature
(ASR313 passes).
"""

from __future__ import annotations

from dataclasses import replace

from asr_preflight.guest.endpoints import Endpoint, required_endpoints
from asr_preflight.snapshot import (
    EndpointProbe,
    FactError,
    GuestDisk,
    GuestFacts,
    NetworkInterface,
    PortProbe,
    ProxySetting,
    RootCertificate,
    ServiceState,
    Snapshot,
    VirtualMachine,
)

G2 = RootCertificate(
    "CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F",
    "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US",
    "2038-01-15T12:00:00Z",
)
G3 = RootCertificate(
    "31AD6648F8104138C738F39EA4320133393E3A18CC02296EF97C2AC9EF6731D0",
    "CN=DigiCert Global Root G3,OU=www.digicert.com,O=DigiCert Inc,C=US",
    "2038-01-15T12:00:00Z",
)
MS_RSA = RootCertificate(
    "C741F70F4B2A8D88BF2E71C14122EF53EF10EBA0CFA5E64CFA20F418853073E0",
    "CN=Microsoft RSA Root Certificate Authority 2017,O=Microsoft Corporation,C=US",
    "2042-07-18T23:00:23Z",
)
MS_ECC = RootCertificate(
    "358DF39D764AF9E1B766E9C972DF352EE15CFAC227AF6AD1D70E8E4A6EDCBA02",
    "CN=Microsoft ECC Root Certificate Authority 2017,O=Microsoft Corporation,C=US",
    "2042-07-18T23:16:04Z",
)
BALTIMORE = RootCertificate(
    "16AF57A9F676B0AB126095AA5EBADEF22AB31119D644AC95CD4B93DBF3F26AEB",
    "CN=Baltimore CyberTrust Root,OU=CyberTrust,O=Baltimore,C=IE",
    "2025-05-12T23:59:00Z",
)
CURRENT_ROOTS = (G2, G3, MS_RSA, MS_ECC)
SHOP_PROXY = "http://10.10.0.10:3128"
FILE_PROXY = "http://10.20.0.10:8080"
COLLECTED_AT = "2026-11-25T08:05:00Z"
_UNRESOLVED = "curl: (6) Could not resolve host: "
_REFUSED = "Failed to connect to 10.20.0.10 port 8080: Connection refused"

OS_RELEASE = {
    "vm-web-01": (
        "rhel",
        "7.9",
        "Red Hat Enterprise Linux Server 7.9 (Maipo)",
        "3.10.0-1160.119.1.el7.x86_64",
    ),
    "vm-web-02": ("ubuntu", "22.04", "Ubuntu 22.04.5 LTS", "6.8.0-1021-azure"),
    "vm-web-03": ("ubuntu", "22.04", "Ubuntu 22.04.5 LTS", "6.8.0-1021-azure"),
    "vm-app-01": (
        "rhel",
        "8.4",
        "Red Hat Enterprise Linux 8.4 (Ootpa)",
        "4.18.0-305.25.1.el8_4.x86_64",
    ),
    "vm-app-02": ("ubuntu", "20.04", "Ubuntu 20.04.6 LTS", "5.15.0-1074-azure"),
    "vm-db-01": ("debian", "12", "Debian GNU/Linux 12 (bookworm)", "6.1.0-28-cloud-amd64"),
    "vm-sap-app-01": (
        "sles",
        "15.5",
        "SUSE Linux Enterprise Server 15 SP5",
        "5.14.21-150500.33.72-azure",
    ),
    "vm-sap-db-01": (
        "sles",
        "15.5",
        "SUSE Linux Enterprise Server 15 SP5",
        "5.14.21-150500.33.72-azure",
    ),
    "vm-sap-ascs-01": (
        "sles",
        "15.5",
        "SUSE Linux Enterprise Server 15 SP5",
        "5.14.21-150500.33.72-azure",
    ),
    "vm-batch-01": ("ubuntu", "24.04", "Ubuntu 24.04.1 LTS", "6.8.0-1021-azure"),
    "vm-win-iis-01": (
        "windows",
        "10.0.20348",
        "Microsoft Windows Server 2022 Datacenter",
        "10.0.20348",
    ),
    "vm-win-sql-01": (
        "windows",
        "10.0.17763",
        "Microsoft Windows Server 2019 Datacenter",
        "10.0.17763",
    ),
    "vm-win-file-01": (
        "windows",
        "10.0.14393",
        "Microsoft Windows Server 2016 Datacenter",
        "10.0.14393",
    ),
}


def apply(snapshot: Snapshot) -> Snapshot:
    if snapshot.plan is None or snapshot.plan.guest is None:
        return snapshot
    ips = _private_ips(snapshot)
    facts: list[GuestFacts] = []
    errors: list[FactError] = []
    for vm in snapshot.vms:
        if vm.name == "vm-win-file-01":  # deallocated (see ASR502): nothing answers
            errors.append(
                FactError(
                    "guest",
                    vm.id,
                    f"no WinRM answer from https://{ips[vm.name]}:5986/wsman within 10 s",
                    "check that the address is reachable and the WinRM HTTPS listener is open",
                )
            )
            continue
        if vm.name == "vm-win-ad-01":
            errors.append(
                FactError(
                    "guest",
                    vm.id,
                    "refused: the WinRM certificate of "
                    f"https://{ips[vm.name]}:5986/wsman could not be verified",
                    "give the CA that issued the listener's certificate in "
                    "[guest.windows] ca_bundle",
                )
            )
            continue
        endpoints = required_endpoints(snapshot.plan, snapshot, vm)
        facts.append(_guest(vm, snapshot, endpoints, ips))
    return replace(snapshot, guests=tuple(facts), errors=snapshot.errors + tuple(errors))


def _private_ips(snapshot: Snapshot) -> dict[str, str]:
    nics: dict[str, NetworkInterface] = {n.id.lower(): n for n in snapshot.network_interfaces}
    out = {}
    for vm in snapshot.vms:
        nic = nics.get((vm.primary_nic_id or "").lower())
        ipc = nic.primary_ip_configuration if nic else None
        if ipc is not None and ipc.private_ip:
            out[vm.name] = ipc.private_ip
    return out


def _probe(endpoint: Endpoint, via: str | None = None, **fields: object) -> EndpointProbe:
    base = EndpointProbe(
        endpoint.name,
        endpoint.host,
        endpoint.port,
        resolved=True,
        addresses=("20.190.151.7",) if endpoint.name == "login" else ("20.60.40.4",),
        tls_ok=True,
        via_proxy=via,
        proxy_status=200 if via else None,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def _guest(
    vm: VirtualMachine, snapshot: Snapshot, endpoints: tuple[Endpoint, ...], ips: dict[str, str]
) -> GuestFacts:
    name = vm.name
    windows = vm.os_type == "Windows"
    os_id, version, pretty, kernel = OS_RELEASE[name]
    roots: tuple[RootCertificate, ...] = CURRENT_ROOTS
    proxies: tuple[ProxySetting, ...] = ()
    probes = tuple(_probe(e) for e in endpoints)
    free = 18 * 1024**3 + len(name) * 997 * 1024**2
    grub: tuple[str, ...] | None = ("root=UUID=5c0e8f7e-2a41-4d7b-9d0e-0b1c2d3e4f50",)
    grub_files: tuple[str, ...] | None = ("/boot/grub2/grub.cfg", "/etc/default/grub")
    services = None
    lvm_named: tuple[str, ...] | None = ()
    lvm_present: tuple[str, ...] | None = ()
    if os_id == "rhel":
        lvm_named = ("rootvg/rootlv", "rootvg/swaplv")
        lvm_present = ("rootvg/homelv", "rootvg/rootlv", "rootvg/swaplv")
    disks = _disks(vm, windows)
    if windows:
        services = (
            ServiceState("COMSysApp", "Manual", "Stopped"),
            ServiceState("VSS", "Manual", "Stopped"),
        )
        grub = grub_files = lvm_named = lvm_present = None
    if name == "vm-web-01":  # never updated: Baltimore is all that is left
        roots = (BALTIMORE,)
        probes = tuple(
            _probe(
                e,
                tls_ok=False,
                error="curl: (60) SSL certificate problem: unable to get local issuer certificate",
            )
            for e in endpoints
        )
    elif name == "vm-app-01":  # authenticating proxy; GRUB still names the removed swap LV
        lvm_present = ("rootvg/homelv", "rootvg/rootlv")
        proxies = (
            ProxySetting(
                "/etc/environment:https_proxy", "http://***@10.10.0.10:3128", has_credentials=True
            ),
            ProxySetting("/etc/yum.conf:proxy", SHOP_PROXY, has_credentials=True),
        )
        probes = tuple(
            _probe(
                e,
                SHOP_PROXY,
                resolved=False,
                addresses=(),
                tls_ok=False,
                proxy_status=407,
                error="CONNECT tunnel failed, response 407",
            )
            for e in endpoints
        )
    elif name == "vm-win-iis-01":  # an open proxy: fine
        proxies = (ProxySetting("WinHTTP", "10.10.0.10:3128", bypass=("<local>",)),)
        probes = tuple(_probe(e, SHOP_PROXY, resolved=False, addresses=()) for e in endpoints)
    elif name == "vm-db-01":  # custom DNS forgets the cache storage account
        probes = tuple(
            _probe(e, resolved=False, addresses=(), tls_ok=False, error=_UNRESOLVED + e.host)
            if e.name == "storage"
            else _probe(e)
            for e in endpoints
        )
    elif name == "vm-sap-db-01":  # a proxy that was decommissioned; and a full /
        free = 600 * 1024**2
        proxies = (ProxySetting("/etc/environment:https_proxy", FILE_PROXY, bypass=("localhost",)),)
        probes = tuple(
            _probe(
                e,
                FILE_PROXY,
                resolved=False,
                addresses=(),
                tls_ok=False,
                proxy_status=None,
                error=_REFUSED,
            )
            for e in endpoints
        )
    elif name == "vm-sap-app-01":
        grub = ("root=/dev/sda2", "resume=UUID=0b6f1a2c-9d34-4e5f-8a7b-6c5d4e3f2a10")
    elif name == "vm-win-sql-01":
        services = (
            ServiceState("COMSysApp", "Manual", "Stopped"),
            ServiceState("VSS", "Disabled", "Stopped"),
        )
    return GuestFacts(
        vm_id=vm.id,
        transport="winrm" if windows else "ssh",
        os_release=_release(os_id, version, pretty),
        kernel=kernel,
        root_certificates=roots,
        proxies=proxies,
        endpoints=probes,
        port_probes=_ports(vm, snapshot, ips),
        root_free_bytes=None if windows else free,
        grub_device_names=grub,
        services=services,
        clock_utc=COLLECTED_AT,
        collected_at=COLLECTED_AT,
        trust_store="Cert:\\LocalMachine\\Root" if windows else _store(os_id),
        grub_files=grub_files,
        address=ips.get(name),
        hotfixes=() if windows else None,  # neither SHA-2 update: not needed after 2008 R2
        grub_lvm_volumes=lvm_named,
        logical_volumes=lvm_present,
        data_disks=disks,
    )


def _release(os_id: str, version: str, pretty: str) -> dict[str, str]:
    release = {"ID": os_id, "VERSION_ID": version, "PRETTY_NAME": pretty}
    if os_id == "windows":
        release.update(NAME=pretty, PRODUCT_TYPE="3", ARCHITECTURE="64-bit")
    return release


def _disks(vm: VirtualMachine, windows: bool) -> tuple[GuestDisk, ...]:
    """The data disks as the guest sees them: GPT on Windows; on Linux a GPT partition, or an
    LVM physical volume on the whole disk for the SAP VMs; vm-sap-ascs-01's LUN 0 is blank."""
    out = []
    for disk in vm.data_disks:
        lun = disk.lun if disk.lun is not None else 0
        if windows:
            out.append(GuestDisk(lun, f"Disk {lun + 2}", 2, "GPT", offline=False))
        elif vm.name == "vm-sap-ascs-01" and lun == 0:
            out.append(GuestDisk(lun, f"/dev/sd{chr(99 + lun)}", 0, "", ""))
        elif vm.name.startswith("vm-sap-"):
            out.append(GuestDisk(lun, f"/dev/sd{chr(99 + lun)}", 0, "", "LVM2_member"))
        else:
            out.append(GuestDisk(lun, f"/dev/sd{chr(99 + lun)}", 1, "gpt", ""))
    return tuple(out)


def _store(os_id: str) -> str:
    if os_id == "rhel":
        return "/etc/pki/tls/certs/ca-bundle.crt"
    if os_id == "sles":
        return "/var/lib/ca-certificates/ca-bundle.pem"
    return "/etc/ssl/certs/ca-certificates.crt"


def _ports(vm: VirtualMachine, snapshot: Snapshot, ips: dict[str, str]) -> tuple[PortProbe, ...]:
    plan = snapshot.plan
    if plan is None:
        return ()
    by_name = {v.name: v for v in snapshot.vms}
    out = []
    for group in plan.groups:
        if vm.name not in group.vms:
            continue
        for peer_name in group.vms:
            peer = by_name.get(peer_name)
            if peer is None or peer.id == vm.id or peer_name not in ips:
                continue
            if (vm.name, peer_name) == ("vm-sap-app-01", "vm-sap-db-01"):
                result, detail = "timeout", "no answer within 5 s"
            elif peer_name == "vm-sap-app-01":
                result, detail = "connected", None  # an old agent still listens there
            else:
                result, detail = "refused", f"{ips[peer_name]}: Connection refused"
            out.append(PortProbe(peer.id, ips[peer_name], 20004, result, detail))  # type: ignore[arg-type]
    return tuple(out)
