import pytest

from samen.messaging.gateways import (
    Gateway,
    TransportError,
    UnknownGateway,
    get_gateway,
    register,
    registered_kinds,
    unregister,
)
from samen.messaging.gateways.email import EmailGateway
from samen.messaging.models import Channel


@pytest.fixture
def carrier_pigeon():
    @register("pigeon")
    class Pigeon(Gateway):
        def send(self, outbound):
            return f"pigeon-{outbound}"

    yield Pigeon
    unregister("pigeon")


def test_email_is_registered_out_of_the_box():
    assert "email" in registered_kinds()
    assert isinstance(get_gateway("email"), EmailGateway)


def test_it_finds_a_registered_gateway_by_kind(carrier_pigeon):
    gateway = get_gateway("pigeon")
    assert isinstance(gateway, carrier_pigeon)
    assert gateway.kind == "pigeon"


def test_it_binds_the_channel_and_exposes_its_settings(carrier_pigeon):
    channel = Channel(kind="pigeon", name="Loft", config={"loft": "north"})
    gateway = get_gateway("pigeon", channel)
    assert gateway.channel is channel
    assert gateway.config == {"loft": "north"}
    assert get_gateway("pigeon").config == {}


def test_it_refuses_an_unknown_kind():
    with pytest.raises(UnknownGateway, match="smoke-signal"):
        get_gateway("smoke-signal")


def test_it_refuses_two_classes_for_one_kind(carrier_pigeon):
    with pytest.raises(ValueError, match="already registered"):

        @register("pigeon")
        class OtherPigeon(Gateway):
            pass


def test_registering_the_same_class_again_is_harmless(carrier_pigeon):
    assert register("pigeon")(carrier_pigeon) is carrier_pigeon


def test_transport_error_is_transient_unless_told_otherwise():
    assert TransportError("busy").permanent is False
    error = TransportError("no such number", permanent=True)
    assert error.permanent is True
    assert str(error) == "no such number"


def test_a_gateway_that_only_receives_refuses_to_send_for_good():
    from samen.messaging.gateways import Gateway, TransportError
    from samen.messaging.models import OutboundMessage

    class ReceiveOnly(Gateway):
        pass

    with pytest.raises(TransportError, match="only receives") as raised:
        ReceiveOnly().send(OutboundMessage(gateway="x", to="+1", body="hi", idempotency_key="k"))
    assert raised.value.permanent
