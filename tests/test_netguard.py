import socket

import pytest

import netguard


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_public_address_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(PermissionError, match="blocked connect"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed, and never tried


def test_dns_lookup_of_a_public_name_is_refused() -> None:
    with pytest.raises(PermissionError, match="blocked DNS"):
        socket.getaddrinfo("management.azure.com", 443)


def test_registered_lab_network_is_allowed() -> None:
    assert not netguard.is_allowed_host("198.51.100.7")
    netguard.allow_network("198.51.100.0/24")
    assert netguard.is_allowed_host("198.51.100.7")
