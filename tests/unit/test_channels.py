from probe.channels import available_channels, get_channel


def test_the_test_channel_is_found_through_its_entry_point() -> None:
    assert "test" in available_channels()
    assert get_channel("test").spec.name == "test"


def test_an_unknown_channel_is_an_exact_error() -> None:
    import pytest

    from probe.channels import UnknownChannelError

    with pytest.raises(UnknownChannelError, match="unknown channel 'fax'; available: "):
        get_channel("fax")
