"""ASR211 outbound-path-exists: pass, fail, unknown, each way out and each way default outbound
access is off."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from asr_preflight.snapshot import FactError, LoadBalancer, Route, RouteTable
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_vm
from asr_preflight_rules.network.asr211_outbound_path_exists import outbound_path_exists
from network.netsec_facts import VNET_ID, estate, nic_for, subnet, vnet

LB = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Network/loadBalancers/ilb"
POOL = f"{LB}/backendAddressPools/pool"
RT = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Network/routeTables/rt"
PIP = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Network/publicIPAddresses/pip"
NAT = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Network/natGateways/nat"


def internal_lb(**fields: Any) -> LoadBalancer:
    return LoadBalancer(LB, "ilb", sku="Standard", pool_ids=(POOL,), **fields)


def judge(
    *,
    subnet_fields: dict[str, Any] | None = None,
    in_pool: bool = False,
    lbs: tuple[LoadBalancer, ...] | None = (),
    public_ip: bool = False,
    **fields: Any,
) -> Any:
    vm = make_vm()
    sub = subnet(**(subnet_fields or {}))
    nic = nic_for(vm, "10.1.1.4", sub)
    ipc = replace(
        nic.ip_configurations[0],
        load_balancer_pool_ids=(POOL,) if in_pool else (),
        public_ip_id=PIP if public_ip else None,
    )
    nic = replace(nic, ip_configurations=(ipc,))
    snap = estate([vm], subnets=(sub,), nics=(nic,), load_balancers=lbs, **fields)
    [result] = evaluate_rule(outbound_path_exists, snap)
    return result


PRIVATE = {"default_outbound_access": False}


@pytest.mark.parametrize(
    ("kwargs", "outcome", "words"),
    [
        ({"subnet_fields": {**PRIVATE, "nat_gateway_id": NAT}}, "pass", "NAT gateway nat"),
        ({"subnet_fields": PRIVATE, "public_ip": True}, "pass", "public IP"),
        (
            {
                "subnet_fields": PRIVATE,
                "in_pool": True,
                "lbs": (internal_lb(outbound_rule_pool_ids=(POOL,)),),
            },
            "pass",
            "outbound rule of load balancer ilb",
        ),
        (
            {
                "subnet_fields": PRIVATE,
                "in_pool": True,
                "lbs": (internal_lb(public=True, snat_rule_pool_ids=(POOL,)),),
            },
            "pass",
            "outbound SNAT",
        ),
        ({"subnet_fields": PRIVATE}, "fail", "default outbound access off"),
        ({"in_pool": True, "lbs": (internal_lb(),)}, "fail", "Standard load balancer ilb"),
        (
            {"in_pool": True, "lbs": (internal_lb(snat_rule_pool_ids=(POOL,)),)},
            "fail",
            "Standard load balancer ilb",
        ),  # an internal LB's rules give no SNAT
        ({}, "pass", "default outbound access"),
        ({"in_pool": True, "lbs": (replace(internal_lb(), sku="Basic"),)}, "pass", "default"),
        ({"lbs": None}, "unknown", "load balancers"),
        ({"in_pool": True, "lbs": ()}, "unknown", "not read"),  # the pool's LB elsewhere
    ],
)
def test_outbound_path(kwargs: dict[str, Any], outcome: str, words: str) -> None:
    result = judge(**kwargs)
    assert result.outcome == outcome, result.message
    assert words in result.message


def test_a_default_route_to_a_firewall_is_a_path() -> None:
    table = RouteTable(RT, "rt", (Route("default", "0.0.0.0/0", "VirtualAppliance", "10.0.0.4"),))
    result = judge(subnet_fields={**PRIVATE, "route_table_id": RT}, route_tables=(table,))
    assert result.outcome == "pass" and "0.0.0.0/0 via 10.0.0.4" in result.message
    internet = RouteTable(RT, "rt", (Route("default", "0.0.0.0/0", "Internet"),))
    result = judge(subnet_fields={**PRIVATE, "route_table_id": RT}, route_tables=(internet,))
    assert result.outcome == "fail"


def test_a_remote_gateway_may_carry_a_default_route() -> None:
    result = judge(
        subnet_fields=PRIVATE, virtual_networks=(replace(vnet(), uses_remote_gateways=True),)
    )
    assert result.outcome == "unknown" and "peer's gateway" in result.message


def test_a_failed_load_balancer_list_is_unknown() -> None:
    error = FactError("outbound", f"/subscriptions/{SUBSCRIPTION}", "403", "grant Reader")
    result = judge(subnet_fields=PRIVATE, errors=(error,))
    assert result.outcome == "unknown" and result.hint == "grant Reader"
    # a path found is a pass whatever else failed
    assert judge(public_ip=True, errors=(error,)).outcome == "pass"


OTHER_VNET = VNET_ID.replace("vnet-prod", "vnet-other")


@pytest.mark.parametrize(
    ("lb", "outcome", "words"),
    [
        # IP-based pool: the NIC is matched by (VNet, private IP), the NIC side lists nothing
        (internal_lb(pool_addresses={POOL: ((VNET_ID, "10.1.1.4"),)}), "fail", "ilb"),
        (internal_lb(pool_addresses={POOL: ((VNET_ID.upper(), "10.1.1.4"),)}), "fail", "ilb"),
        (
            internal_lb(
                pool_addresses={POOL: ((VNET_ID, "10.1.1.4"),)}, outbound_rule_pool_ids=(POOL,)
            ),
            "pass",
            "outbound rule of load balancer ilb",
        ),
        # the same IP in another VNet, or another IP in this VNet, is another machine
        (internal_lb(pool_addresses={POOL: ((OTHER_VNET, "10.1.1.4"),)}), "pass", "default"),
        (internal_lb(pool_addresses={POOL: ((VNET_ID, "10.1.1.5"),)}), "pass", "default"),
        # members that could not be read exactly: never a pass by default outbound access
        (internal_lb(unresolved_pools={POOL: ()}), "unknown", "could not be matched"),
        (internal_lb(unresolved_pools={POOL: (VNET_ID,)}), "unknown", "pool of load balancer"),
        (internal_lb(pool_addresses={POOL: ((VNET_ID, "10.1.1.x"),)}), "unknown", "ilb"),
        (internal_lb(unresolved_pools={POOL: (OTHER_VNET,)}), "pass", "default"),
    ],
)
def test_ip_based_backend_pools(lb: LoadBalancer, outcome: str, words: str) -> None:
    result = judge(lbs=(lb,))
    assert result.outcome == outcome, result.message
    assert words in result.message


def test_an_explicit_path_passes_whatever_pool_is_unresolved() -> None:
    result = judge(public_ip=True, lbs=(internal_lb(unresolved_pools={POOL: ()}),))
    assert result.outcome == "pass"
