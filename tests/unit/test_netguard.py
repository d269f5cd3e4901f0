import pytest

from probe.errors import DestinationRefusedError
from probe.netguard import ensure_destination_allowed


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_destinations_are_allowed(host: str) -> None:
    assert ensure_destination_allowed(host, network="loopback")


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.1", "8.8.8.8", "2001:db8::1"])
def test_anything_else_is_refused_in_loopback_mode(host: str) -> None:
    with pytest.raises(DestinationRefusedError, match="is not loopback and PROBE_NETWORK=loopback"):
        ensure_destination_allowed(host, network="loopback")


def test_a_refusal_is_ours_and_permanent() -> None:
    with pytest.raises(DestinationRefusedError) as caught:
        ensure_destination_allowed("10.1.2.3", network="loopback")
    assert caught.value.permanent
    assert caught.value.error_class == "destination_refused"
    assert isinstance(caught.value, PermissionError)
