"""What a recording may carry from ARM's bodies: extension public settings (CustomScript
``fileUris`` with SAS signatures, ``commandToExecute``) and extension status messages (a
script's stdout/stderr) are not asr-preflight's to share, and it reads neither; they are redacted.

The bodies are Azure's own examples (VirtualMachine_Get.json, VirtualMachine_Get_InstanceView.json
in tests/fakes/examples), with the values a real estate puts there."""

from __future__ import annotations

import json
from pathlib import Path

from asr_preflight.azure.recording import Recorder

EXAMPLES = Path(__file__).parents[1] / "fakes" / "examples"
SAS = "sv=2022-11-02&sr=b&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"
COMMAND = "sh install.sh --db-password 'Hunter2-9f3'"
STDOUT = "[stdout] connection string: Server=db;Password=Hunter2-9f3"


def _body(name: str) -> dict:  # type: ignore[type-arg]
    data = json.loads((EXAMPLES / name).read_text())
    return data.get("responses", {}).get("200", {}).get("body", data)


def test_extension_settings_and_status_messages_are_not_recorded(tmp_path: Path) -> None:
    vm = _body("VirtualMachine_Get.json")
    vm["resources"][0]["properties"]["settings"] = {
        "fileUris": [f"https://st.blob.core.windows.net/scripts/install.sh?{SAS}"],
        "commandToExecute": COMMAND,
    }
    view = _body("VirtualMachine_Get_InstanceView.json")
    extension = view["extensions"][0]
    extension["statuses"][0]["message"] = STDOUT
    extension["substatuses"] = [{"code": "ComponentStatus/StdOut/succeeded", "message": STDOUT}]
    recorder = Recorder("https://arm")
    recorder.add(
        "GET", "https://arm/subscriptions/s/x?api-version=1", 200, json.dumps({"value": [vm]})
    )
    recorder.add("GET", "https://arm/subscriptions/s/y?api-version=1", 200, json.dumps(view))
    recorder.write(tmp_path / "rec")
    text = (tmp_path / "rec" / "responses.jsonl").read_text()
    for secret in ("sig=", "Hunter2-9f3", "install.sh"):
        assert secret not in text, secret
    # what the collector reads from them stays: the extension's type, version and state
    assert "CustomScriptExtension" in text and "Provisioning succeeded" in text


ROOT_GROUP = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # a tenant's root management group is its id


def test_a_root_management_group_named_by_the_tenant_id_is_pseudonymised(tmp_path: Path) -> None:
    recorder = Recorder("https://arm")
    path = f"https://arm/providers/Microsoft.Management/managementGroups/{ROOT_GROUP}/descendants"
    child = {
        "id": "/subscriptions/11111111-1111-4111-8111-111111111111",
        "type": "Microsoft.Management/managementGroups/subscriptions",
        "properties": {
            "parent": {"id": f"/providers/Microsoft.Management/managementGroups/{ROOT_GROUP}"}
        },
    }
    recorder.add("GET", f"{path}?api-version=2020-10-01", 200, json.dumps({"value": [child]}))
    plan = {"azure": {"management_groups": [ROOT_GROUP], "subscriptions": []}}
    recorder.write(tmp_path / "rec", pseudonymise=True, plan=plan)
    for name in ("responses.jsonl", "plan.json", "recording.json"):
        assert ROOT_GROUP not in (tmp_path / "rec" / name).read_text().lower(), name
