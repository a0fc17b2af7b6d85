import pytest
from django.core import mail

from samen.messaging.gateways import TransportError, get_gateway
from samen.messaging.models import Channel, OutboundMessage

BACKENDS = "samen.messaging.tests.backends."


def outbound(**fields):
    values = {
        "gateway": "email",
        "idempotency_key": "test:1",
        "to": "mia@example.org",
        "subject": "Welcome",
        "body": "Hello Mia",
    }
    return OutboundMessage(**(values | fields))


def test_it_sends_plain_text_with_the_default_sender(settings):
    get_gateway("email").send(outbound())
    [sent] = mail.outbox
    assert sent.to == ["mia@example.org"]
    assert sent.subject == "Welcome"
    assert sent.body == "Hello Mia"
    assert sent.from_email == settings.DEFAULT_FROM_EMAIL
    assert sent.alternatives == []
    assert sent.extra_headers["X-Samen-Message"] == "test:1"


def test_it_attaches_the_html_alternative():
    get_gateway("email").send(outbound(html_body="<p>Hello <b>Mia</b></p>"))
    [sent] = mail.outbox
    assert sent.alternatives[0].content == "<p>Hello <b>Mia</b></p>"
    assert sent.alternatives[0].mimetype == "text/html"


def test_a_channel_can_set_its_own_sender():
    channel = Channel(kind="email", name="Kibera desk", config={"from_email": "kibera@samen.example"})
    get_gateway("email", channel).send(outbound())
    assert mail.outbox[0].from_email == "kibera@samen.example"


def test_it_returns_the_esp_message_id(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    provider_id = get_gateway("email").send(outbound())
    assert provider_id == "0"  # anymail's test ESP numbers messages by their place in the outbox


@pytest.mark.parametrize(
    ("backend", "permanent", "words"),
    [
        ("RecipientRefused", True, "recipient refused"),
        ("PermanentlyRejected", True, "554"),
        ("TemporarilyUnavailable", False, "451"),
        ("ServerDown", False, "unavailable"),
        ("EspRefusesRecipient", True, "recipient refused by provider"),
        ("EspBadRequest", True, "Invalid API token"),
        ("EspOverloaded", False, "Service unavailable"),
    ],
)
def test_transport_failures_become_transport_errors(settings, backend, permanent, words):
    settings.EMAIL_BACKEND = BACKENDS + backend
    with pytest.raises(TransportError) as caught:
        get_gateway("email").send(outbound())
    assert caught.value.permanent is permanent
    assert words in caught.value.message


def test_a_bug_is_not_disguised_as_a_transport_error(settings):
    settings.EMAIL_BACKEND = BACKENDS + "Broken"
    with pytest.raises(ZeroDivisionError):
        get_gateway("email").send(outbound())
