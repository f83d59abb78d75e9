"""VMs (with their instance view) and managed disks: listed per subscription, joined locally.

Parsers follow azure-rest-api-specs ``specification/compute/resource-manager/Microsoft.Compute/
ComputeRP/stable/2024-07-01/virtualMachine.json`` (VirtualMachines_ListAll, with and without
``statusOnly=true``; VirtualMachines_InstanceView) and ``DiskRP/stable/2024-03-02/disk.json``
(Disks_List).

``statusOnly=true`` is not documented field by field: a listed instance view may leave out
``vmAgent`` or ``extensions``. Such a view is never read as "no agent" or "no extensions": for a
running VM the collector GETs the VM's own instance view (:func:`needs_full_view`), and a view that
still says nothing about extensions leaves them not gathered (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.raw import COMPUTE_API, DISKS_API, dig, get_json, list_all, ref
from asr_preflight.regions import normalize
from asr_preflight.snapshot import Disk, Extension, TargetDisk, VirtualMachine

Json = dict[str, Any]


def _path(sub: str, kind: str) -> str:
    return f"/subscriptions/{sub}/providers/Microsoft.Compute/{kind}"


def list_vms(client: Any, sub: str) -> list[Json]:
    return list(list_all(client, _path(sub, "virtualMachines"), COMPUTE_API))


def list_statuses(client: Any, sub: str) -> dict[str, Json]:
    """Instance views of the subscription's VMs by lower-cased VM id (``statusOnly=true``)."""
    views: dict[str, Json] = {}
    for item in list_all(client, _path(sub, "virtualMachines"), COMPUTE_API, statusOnly="true"):
        view = dig(item, "properties", "instanceView")
        if item.get("id") and isinstance(view, Mapping):
            views[str(item["id"]).lower()] = dict(view)
    return views


def instance_view(client: Any, vm_id: str) -> Json:
    """One VM's instance view: only when the status-only list left out its VM agent."""
    body = get_json(client, f"{vm_id}/instanceView?api-version={COMPUTE_API}")
    if not isinstance(body, Mapping):
        raise ValueError(f"instance view of {vm_id} is not an object")
    return dict(body)


def list_disks(client: Any, sub: str) -> dict[str, Json]:
    return {
        str(d["id"]).lower(): d
        for d in list_all(client, _path(sub, "disks"), DISKS_API)
        if d.get("id")
    }


def needs_full_view(view: Json | None) -> bool:
    """True when a running VM's status-only instance view leaves out its VM agent or its
    extensions, so that the VM's own instance view must be read."""
    return (
        view is not None
        and _power(view) == "running"
        and (view.get("vmAgent") is None or not isinstance(view.get("extensions"), list))
    )


def to_vm(
    item: Json,
    view: Json | None,
    disks: Mapping[str, Json] | None,
    *,
    complete_view: bool = False,
) -> VirtualMachine:
    """Our fact from the ARM JSON, its instance view (None = not gathered) and the managed disks
    of its subscription (None = not gathered). ``complete_view``: the view is the VM's own
    instance view (VirtualMachines_InstanceView), not an item of the status-only list."""
    vm_id = item.get("id")
    props = item.get("properties")
    size = dig(props, "hardwareProfile", "vmSize")
    if not (vm_id and item.get("name") and item.get("location") and size):
        raise ValueError(
            "the VM's answer lacks name, location or properties.hardwareProfile.vmSize"
        )
    parts = str(vm_id).strip("/").split("/")
    storage = dig(props, "storageProfile") or {}
    os_model = storage.get("osDisk")
    os_disk = _disk(os_model, None, disks) if isinstance(os_model, Mapping) else None
    data = tuple(_disk(d, d.get("lun"), disks) for d in (storage.get("dataDisks") or ()))
    nics = sorted(
        dig(props, "networkProfile", "networkInterfaces") or (),
        key=lambda n: not bool(dig(n, "properties", "primary")),
    )
    zones = list(item.get("zones") or ())
    fields: dict[str, Any] = _view_fields(view, complete_view) if view is not None else {}
    security = dig(props, "securityProfile")
    view_state = fields.pop("provisioning_state", None)
    return VirtualMachine(
        id=str(vm_id),
        name=str(item["name"]),
        subscription_id=parts[1],
        resource_group=parts[3],
        location=normalize(item["location"]),
        size=str(size),
        os_type=_os_type(dig(os_model, "osType")),
        zone=str(zones[0]) if zones else None,
        tags={str(k): str(v) for k, v in (item.get("tags") or {}).items()},
        provisioning_state=dig(props, "provisioningState") or view_state,
        os_disk=os_disk,
        data_disks=data,
        disk_controller=dig(storage, "diskControllerType"),
        ultra_ssd_enabled=bool(dig(props, "additionalCapabilities", "ultraSSDEnabled")),
        dedicated_host_id=ref(props, "host"),
        dedicated_host_group_id=ref(props, "hostGroup"),
        availability_set_id=ref(props, "availabilitySet"),
        proximity_placement_group_id=ref(props, "proximityPlacementGroup"),
        security_type=_present(dig(security, "securityType")),
        secure_boot_enabled=_flag(dig(security, "uefiSettings", "secureBootEnabled")),
        vtpm_enabled=_flag(dig(security, "uefiSettings", "vTpmEnabled")),
        encryption_at_host=_flag(dig(security, "encryptionAtHost")) is True,
        time_created=_text(dig(props, "timeCreated")),
        nic_ids=tuple(str(n["id"]) for n in nics if n.get("id")),
        **fields,
    )


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _present(value: Any) -> str | None:
    """A field that must not vanish when it is malformed: a non-string value is kept as text (a
    rule then says it does not know it), never dropped as if ARM had left it out."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)[:64]


def _flag(value: Any) -> bool | None:
    """ARM booleans; the documentation's own example writes ``"encryptionAtHost": "true"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _os_type(value: Any) -> Any:
    return {"linux": "Linux", "windows": "Windows"}.get(str(value or "").lower())


def _disk(model: Mapping[str, Any], lun: Any, disks: Mapping[str, Json] | None) -> Disk:
    managed = model.get("managedDisk")
    disk_id = ref(model, "managedDisk")
    resource = disks.get(disk_id.lower()) if (disks is not None and disk_id) else None
    size = model.get("diskSizeGB")
    sku = dig(managed, "storageAccountType")
    encryption_type = None
    des_id = ref(managed, "diskEncryptionSet")
    ade = bool(dig(model, "encryptionSettings", "enabled"))
    # ADE key vaults: the VM model's osDisk.encryptionSettings (ADE with an Entra app), else the
    # managed disk's encryptionSettingsCollection (Disks spec 2024-03-02, EncryptionSettingsElement)
    secret_vault = ref(model, "encryptionSettings", "diskEncryptionKey", "sourceVault")
    kek_vault = ref(model, "encryptionSettings", "keyEncryptionKey", "sourceVault")
    max_shares: int | None = None
    if resource is not None:
        rprops = resource.get("properties") or {}
        size = rprops.get("diskSizeGB") or size
        sku = dig(resource, "sku", "name") or sku
        encryption_type = dig(rprops, "encryption", "type")
        des_id = dig(rprops, "encryption", "diskEncryptionSetId") or des_id
        collection = rprops.get("encryptionSettingsCollection")
        ade = ade or bool(dig(collection, "enabled"))
        for element in dig(collection, "encryptionSettings") or ():
            secret_vault = secret_vault or ref(element, "diskEncryptionKey", "sourceVault")
            kek_vault = kek_vault or ref(element, "keyEncryptionKey", "sourceVault")
        shares = rprops.get("maxShares")  # absent on a disk that was never shared
        if shares is None:
            max_shares = 1
        elif isinstance(shares, int) and not isinstance(shares, bool) and shares > 0:
            max_shares = shares
    return Disk(
        name=str(model.get("name") or (disk_id or "").rsplit("/", 1)[-1] or "disk"),
        id=disk_id,
        lun=int(lun) if lun is not None else None,
        size_gb=int(size) if size is not None else None,
        sku=sku,
        managed=managed is not None,
        caching=model.get("caching"),
        write_accelerator=bool(model.get("writeAcceleratorEnabled")),
        ephemeral=str(dig(model, "diffDiskSettings", "option") or "").lower() == "local",
        encryption_type=encryption_type,
        disk_encryption_set_id=des_id,
        ade_encrypted=ade,
        ade_key_vault_id=secret_vault if ade else None,
        ade_kek_vault_id=kek_vault if ade else None,
        max_shares=max_shares,
    )


def _power(view: Json) -> str | None:
    for status in view.get("statuses") or ():
        code = str(dig(status, "code") or "")
        if code.startswith("PowerState/"):
            return code.split("/", 1)[1]
    return None


def _view_fields(view: Json, complete: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"power_state": _power(view)}
    for status in view.get("statuses") or ():
        code = str(dig(status, "code") or "")
        if code.startswith("ProvisioningState/"):
            fields["provisioning_state"] = code.split("/")[1].capitalize()
    agent = view.get("vmAgent")
    if isinstance(agent, Mapping):
        statuses = list(agent.get("statuses") or ())
        fields["agent_status"] = dig(statuses[0], "displayStatus") if statuses else None
        fields["agent_version"] = agent.get("vmAgentVersion")
    listed = view.get("extensions")
    if isinstance(listed, list):
        fields["extensions"] = tuple(_extension(dict(e)) for e in listed if isinstance(e, Mapping))
    elif complete and fields["power_state"] == "running" and isinstance(agent, Mapping):
        fields["extensions"] = ()  # the VM's own instance view of a running VM: none installed
    else:
        fields["extensions"] = None  # not reported: not gathered, never "no extensions"
    return fields


def _extension(view: Json) -> Extension:
    full_type = str(view.get("type") or "")
    publisher, _, kind = full_type.rpartition(".")
    statuses = list(view.get("statuses") or ())
    first = statuses[0] if statuses else {}
    code = str(dig(first, "code") or "")
    state = code.split("/")[1].capitalize() if code.startswith("ProvisioningState/") else None
    return Extension(
        name=str(view.get("name") or kind),
        publisher=publisher,
        type=kind or full_type,
        version=view.get("typeHandlerVersion"),
        provisioning_state=state,
        status=dig(first, "displayStatus"),
        status_level=dig(first, "level"),
    )


def to_target_disk(item: Mapping[str, Any]) -> TargetDisk:
    """A managed disk of a target resource group, from a Disks_List item (disk.json)."""
    disk_id = item.get("id")
    if not isinstance(disk_id, str) or "/resourcegroups/" not in disk_id.lower():
        raise ValueError(f"managed disk {disk_id!r} has no resource id")
    parts = disk_id.strip("/").split("/")
    location = item.get("location")
    managed_by = item.get("managedBy")
    return TargetDisk(
        id=disk_id,
        name=str(item.get("name") or parts[-1]),
        resource_group=parts[3],
        subscription_id=parts[1],
        location=normalize(location) if isinstance(location, str) else None,
        managed_by=managed_by if isinstance(managed_by, str) and managed_by else None,
    )
