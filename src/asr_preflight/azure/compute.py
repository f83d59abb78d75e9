"""VMs (with their instance view) and managed disks: listed per subscription, joined locally."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from asr_preflight.azure.ids import norm_location, ref_id, text
from asr_preflight.snapshot import Disk, Extension, VirtualMachine


def list_vms(client: Any) -> list[Any]:
    return list(client.virtual_machines.list_all())


def list_statuses(client: Any) -> dict[str, Any]:
    """Instance views of the subscription's VMs by lower-cased VM id (``statusOnly=true``)."""
    views: dict[str, Any] = {}
    for item in client.virtual_machines.list_all(status_only="true"):
        view = getattr(item, "instance_view", None)
        if item.id and view is not None:
            views[item.id.lower()] = view
    return views


def instance_view(client: Any, resource_group: str, name: str) -> Any:
    """One VM's instance view: only when the status-only list left out its VM agent."""
    return client.virtual_machines.instance_view(resource_group, name)


def list_disks(client: Any) -> dict[str, Any]:
    return {d.id.lower(): d for d in client.disks.list() if d.id}


def needs_agent_view(view: Any) -> bool:
    """True when a running VM's status-only instance view carries no VM agent status."""
    if view is None:
        return False
    return getattr(view, "vm_agent", None) is None and _power(view) == "running"


def to_vm(model: Any, view: Any | None, disks: Mapping[str, Any] | None) -> VirtualMachine:
    """Our fact from the SDK model, its instance view (None = not gathered) and the managed
    disks of its subscription (None = not gathered)."""
    vm_id: str = model.id
    parts = vm_id.strip("/").split("/")
    props_hw = model.hardware_profile
    size = getattr(props_hw, "vm_size", None)
    if not (model.name and model.location and size):
        raise ValueError(f"virtual machine {vm_id} lacks name, location or hardwareProfile.vmSize")
    storage = model.storage_profile
    os_model = getattr(storage, "os_disk", None)
    os_type = getattr(os_model, "os_type", None)
    os_disk = _disk(os_model, None, disks) if os_model is not None else None
    data = tuple(_disk(d, d.lun, disks) for d in (getattr(storage, "data_disks", None) or ()))
    nics = sorted(
        getattr(getattr(model, "network_profile", None), "network_interfaces", None) or (),
        key=lambda n: not bool(getattr(n, "primary", False)),
    )
    security = getattr(model, "security_profile", None)
    extra = getattr(model, "additional_capabilities", None)
    zones = list(getattr(model, "zones", None) or ())
    fields: dict[str, Any] = {}
    if view is not None:
        fields.update(_view_fields(view))
    provisioning = getattr(model, "provisioning_state", None) or fields.pop(
        "provisioning_state", None
    )
    fields.pop("provisioning_state", None)
    return VirtualMachine(
        id=vm_id,
        name=model.name,
        subscription_id=parts[1],
        resource_group=parts[3],
        location=norm_location(model.location),
        size=str(text(size)),
        os_type=_os_type(os_type),
        zone=str(zones[0]) if zones else None,
        tags=dict(model.tags or {}),
        provisioning_state=provisioning,
        os_disk=os_disk,
        data_disks=data,
        disk_controller=_str(getattr(storage, "disk_controller_type", None)),
        ultra_ssd_enabled=bool(getattr(extra, "ultra_ssd_enabled", False)),
        dedicated_host_id=ref_id(getattr(model, "host", None)),
        dedicated_host_group_id=ref_id(getattr(model, "host_group", None)),
        availability_set_id=ref_id(getattr(model, "availability_set", None)),
        proximity_placement_group_id=ref_id(getattr(model, "proximity_placement_group", None)),
        security_type=_str(getattr(security, "security_type", None)),
        nic_ids=tuple(n.id for n in nics if n.id),
        **fields,
    )


def _str(value: Any) -> str | None:
    return text(value)


def _os_type(value: Any) -> Any:
    text = _str(value)
    if text is None:
        return None
    return {"linux": "Linux", "windows": "Windows"}.get(text.lower())


def _disk(model: Any, lun: int | None, disks: Mapping[str, Any] | None) -> Disk:
    managed = getattr(model, "managed_disk", None)
    disk_id = ref_id(managed)
    resource = disks.get(disk_id.lower()) if (disks is not None and disk_id) else None
    diff = getattr(model, "diff_disk_settings", None)
    ade = getattr(model, "encryption_settings", None)
    size = getattr(model, "disk_size_gb", None)
    sku = _str(getattr(managed, "storage_account_type", None))
    encryption_type = None
    des_id = ref_id(getattr(managed, "disk_encryption_set", None))
    ade_enabled = bool(getattr(ade, "enabled", False))
    if resource is not None:
        size = getattr(resource, "disk_size_gb", None) or size
        sku = _str(getattr(getattr(resource, "sku", None), "name", None)) or sku
        encryption = getattr(resource, "encryption", None)
        encryption_type = _str(getattr(encryption, "type", None))
        des_id = _str(getattr(encryption, "disk_encryption_set_id", None)) or des_id
        collection = getattr(resource, "encryption_settings_collection", None)
        ade_enabled = ade_enabled or bool(getattr(collection, "enabled", False))
    elif disk_id is not None and disks is not None:
        size = None  # listed the subscription's disks and this one was not there: do not guess
    return Disk(
        name=str(getattr(model, "name", None) or (disk_id or "").rsplit("/", 1)[-1] or "disk"),
        id=disk_id,
        lun=lun,
        size_gb=int(size) if size is not None else None,
        sku=sku,
        managed=managed is not None,
        caching=_str(getattr(model, "caching", None)),
        write_accelerator=bool(getattr(model, "write_accelerator_enabled", False)),
        ephemeral=(text(getattr(diff, "option", None)) or "").lower() == "local",
        encryption_type=encryption_type,
        disk_encryption_set_id=des_id,
        ade_encrypted=ade_enabled,
    )


def _power(view: Any) -> str | None:
    for status in getattr(view, "statuses", None) or ():
        code = str(getattr(status, "code", "") or "")
        if code.startswith("PowerState/"):
            return code.split("/", 1)[1]
    return None


def _view_fields(view: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"power_state": _power(view)}
    for status in getattr(view, "statuses", None) or ():
        code = str(getattr(status, "code", "") or "")
        if code.startswith("ProvisioningState/"):
            fields["provisioning_state"] = code.split("/")[1].capitalize()
    agent = getattr(view, "vm_agent", None)
    if agent is not None:
        statuses = list(getattr(agent, "statuses", None) or ())
        fields["agent_status"] = (
            _str(getattr(statuses[0], "display_status", None)) if statuses else None
        )
        fields["agent_version"] = _str(getattr(agent, "vm_agent_version", None))
    fields["extensions"] = tuple(_extension(e) for e in (getattr(view, "extensions", None) or ()))
    return fields


def _extension(view: Any) -> Extension:
    full_type = str(getattr(view, "type", None) or "")
    publisher, _, kind = full_type.rpartition(".")
    statuses = list(getattr(view, "statuses", None) or ())
    first = statuses[0] if statuses else None
    code = text(getattr(first, "code", None)) or ""
    state = code.split("/")[1].capitalize() if code.startswith("ProvisioningState/") else None
    return Extension(
        name=str(getattr(view, "name", None) or kind),
        publisher=publisher,
        type=kind or full_type,
        version=_str(getattr(view, "type_handler_version", None)),
        provisioning_state=state,
        status=_str(getattr(first, "display_status", None)),
        status_level=_str(getattr(first, "level", None)),
    )


def index_by_id(items: Iterable[Any]) -> dict[str, Any]:
    return {i.id.lower(): i for i in items if getattr(i, "id", None)}
