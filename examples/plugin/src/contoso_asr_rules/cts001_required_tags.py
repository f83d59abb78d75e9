from asr_preflight.api import (
    Finding,
    MissingFact,
    RuleContext,
    VirtualMachine,
    failed,
    passed,
    vm_rule,
)

DEFAULT_TAGS = ("owner", "cost-center")


@vm_rule(code="CTS001", name="required-tags", severity="fail")
def required_tags(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM carries the tags Contoso's DR runbooks need.

    ## What it checks
    Every tag named in the plan's `[plugins.contoso-asr-rules] required_tags` (default: `owner`
    and `cost-center`) is set on the VM, with a non-empty value. Unknown when the VM's tags
    were not read.

    ## Why it matters
    Contoso's failover runbooks page the tag `owner` and bill the target resources to
    `cost-center`; a VM without them fails over to nobody.

    ## How to fix
    Set the missing tags on the source VM: `az vm update -g RG -n VM --set tags.owner=...`.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources
    """
    wanted = ctx.settings().get("required_tags", DEFAULT_TAGS)
    if not isinstance(wanted, list | tuple) or not all(isinstance(t, str) for t in wanted):
        raise MissingFact(
            f"[plugins.{ctx.pack}] required_tags is not a list of tag names",
            'write it as required_tags = ["owner"]',
        )
    if vm.tags is None:  # not read: never a pass, never a fail
        raise ctx.missing("vms", vm.id, f"the tags of {vm.name}")
    absent = [tag for tag in wanted if not vm.tags.get(tag)]
    if absent:
        return failed(
            vm,
            f"{vm.name} lacks the tag(s) {', '.join(absent)}",
            hint=f"set {', '.join(absent)} on the VM",
        )
    return passed(vm, f"{vm.name} carries {', '.join(wanted)}")
