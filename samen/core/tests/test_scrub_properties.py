"""Properties of the scrubber on generated text: it never raises, what it leaves holds no number that
phonenumbers' own matcher finds, and scrubbing twice is scrubbing once."""

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from phonenumbers import Leniency, PhoneNumberMatcher

from samen.core.scrub import REPLACEMENT, scrub_contacts

REGIONS = st.sampled_from(["HT", "KE", "NP", "GH", "NL", "US", None])
digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
separators = st.sampled_from(["", " ", "-", ".", "/", " - ", "(", ")", "\u00a0", "â€“", ", "])
number_like = st.builds(
    lambda prefix, parts, seps: prefix + "".join(part + sep for part, sep in zip(parts, seps, strict=False)),
    st.sampled_from(["", "+", "00", "+509 ", "+254", "0", "(", "tel:", "rele ", "ref ", "$", "Time: "]),
    st.lists(digits, min_size=1, max_size=5),
    st.lists(separators, min_size=5, max_size=5),
)
words = st.sampled_from(
    [
        "rele",
        "nimewo m se",
        "call",
        "piga simu",
        "bel",
        "Delmas 33",
        "2010-04-16 14:45:49",
        "latitude: 18.533333",
        "HTG 1,500,000",
        "250 families",
        "jean@example.org",
        "kofi [at] yahoo [dot] com",
        "http://example.org/2015/07/27/x",
        "ref 2010-0456",
        "\\n",
        "Ã©",
        "se",
        "or",
        ".../",
        "\n",
        " ",
    ]
)
texts = st.lists(st.one_of(number_like, words, st.text(max_size=12)), max_size=12).map("".join)


def matcher_finds(text: str, region: str | None) -> list[str]:
    return [match.raw_string for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, region=REGIONS)
@example(text="00.4702000", region="HT")  # "00" then Norway's 47: once kept as a decimal
@example(text="0000 201.2000000", region=None)  # New Jersey's 201, once kept as a decimal
@example(text="000 0.2012000000", region="US")  # a fraction that holds a whole number
def test_what_is_left_holds_no_number_the_matcher_finds(text, region):
    scrubbed = scrub_contacts(text, region=region)
    assert matcher_finds(scrubbed, region) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, region=REGIONS)
def test_scrubbing_twice_is_scrubbing_once(text, region):
    once = scrub_contacts(text, region=region)
    assert scrub_contacts(once, region=region) == once


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), region=REGIONS)
def test_it_never_raises_on_any_text(text, region):
    scrubbed = scrub_contacts(text, region=region)
    assert isinstance(scrubbed, str)
    # Nothing is added but the replacement.
    assert len(scrubbed.replace(REPLACEMENT, "")) <= len(text)
