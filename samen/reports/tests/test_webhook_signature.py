"""verify_signature: what a receiver runs on each delivery (docs/webhooks.md)."""

from samen.reports import notify

# The example in docs/webhooks.md; the signature was computed with openssl, not with our code:
#   printf '1767225600.{"event":"report.published","id":1}' | openssl dgst -sha256 -hmac whsec_example
SECRET = "whsec_example"
BODY = b'{"event":"report.published","id":1}'
TIMESTAMP = 1767225600
SIGNATURE = "sha256=81aff1be3a1fe8e7826edc04743467bac8daf843d202a578354b47f354aef808"
HEADERS = {"X-Samen-Timestamp": str(TIMESTAMP), "X-Samen-Signature": SIGNATURE}


def test_the_documented_example_verifies():
    assert notify.signature(SECRET, str(TIMESTAMP), BODY) == SIGNATURE
    assert notify.verify_signature(SECRET, BODY, HEADERS, now=TIMESTAMP + 10)


def test_header_names_are_matched_in_any_case():
    lowered = {name.lower(): value for name, value in HEADERS.items()}

    assert notify.verify_signature(SECRET, BODY, lowered, now=TIMESTAMP)


def test_an_old_delivery_is_refused_as_a_replay():
    too_late = TIMESTAMP + notify.SIGNATURE_TOLERANCE_SECONDS + 1

    assert not notify.verify_signature(SECRET, BODY, HEADERS, now=too_late)
    assert notify.verify_signature(SECRET, BODY, HEADERS, now=too_late, tolerance=3600)


def test_changing_the_timestamp_breaks_the_signature():
    moved = HEADERS | {"X-Samen-Timestamp": str(TIMESTAMP + 1)}

    assert not notify.verify_signature(SECRET, BODY, moved, now=TIMESTAMP)


def test_missing_or_malformed_headers_do_not_verify():
    assert not notify.verify_signature(SECRET, BODY, {}, now=TIMESTAMP)
    assert not notify.verify_signature(SECRET, BODY, HEADERS | {"X-Samen-Timestamp": "soon"}, now=TIMESTAMP)
    assert not notify.verify_signature(
        SECRET, BODY, HEADERS | {"X-Samen-Signature": SIGNATURE.removeprefix("sha256=")}, now=TIMESTAMP
    )
    assert not notify.verify_signature(SECRET, BODY, HEADERS | {"X-Samen-Timestamp": "-5"}, now=TIMESTAMP)


def test_a_body_reencoded_by_a_json_parser_does_not_verify():
    # Receivers must check the raw bytes: parsing and dumping again changes the spacing.
    reencoded = b'{"event": "report.published", "id": 1}'

    assert not notify.verify_signature(SECRET, reencoded, HEADERS, now=TIMESTAMP)
