"""Dashboards: per variant, channel and promoter; the A/B test; CSV; who may see them."""

import csv
import io

import pytest
from django.test import Client, RequestFactory

from samen.outreach import attribution, stats
from samen.outreach.models import Message

from .conftest import BROWSER_UA, DESKTOP_UA

pytestmark = pytest.mark.django_db


def _short(initiative, variant, channel, promoter=None):
    url = attribution.tracked_url(
        RequestFactory().get("/"),
        target=initiative.get_absolute_url(),
        channel=channel,
        variant=variant,
        promoter=promoter,
    )
    return "/l/" + url.rsplit("/", 1)[1]


def _click(path, ua=BROWSER_UA):
    client = Client(HTTP_USER_AGENT=ua)
    client.get(path)
    return client


def _convert(client, ref, kind=attribution.DONATION, **fields):
    request = RequestFactory().get("/")
    request.COOKIES = {key: morsel.value for key, morsel in client.cookies.items()}
    return attribution.record_conversion(kind=kind, source="test", source_ref=ref, request=request, **fields)


def test_the_dashboard_counts_per_variant_channel_and_promoter(
    client_as, owner, outsider, initiative, message, variants
):
    a_x, b_wa = _short(initiative, variants["A"], "x"), _short(initiative, variants["B"], "whatsapp")
    promoted = _short(initiative, variants["B"], "whatsapp", promoter=outsider)
    for _n in range(3):
        _click(a_x)
    buyer = _click(b_wa)
    _click(b_wa, DESKTOP_UA)
    _click(promoted)
    _convert(buyer, "1", amount_minor=2500, currency="EUR")
    _convert(buyer, "2", kind=attribution.HOURS, minutes=120)

    by_variant = {
        row.label: row
        for row in stats.grouped(
            message, "variant", label_of=lambda k: {variants["A"].pk: "A", variants["B"].pk: "B"}[k[0]]
        )
    }
    assert (by_variant["A"].clicks, by_variant["A"].visitors, by_variant["A"].conversion_count) == (3, 3, 0)
    assert (by_variant["B"].clicks, by_variant["B"].visitors) == (3, 3)
    assert by_variant["B"].conversions == {attribution.DONATION: 1, attribution.HOURS: 1}
    assert by_variant["B"].money == {"EUR": 2500}
    assert by_variant["B"].minutes == 120
    assert by_variant["B"].converters == 1
    assert by_variant["B"].rate_percent == "33.3%"

    page = client_as(owner).get(f"/outreach/{initiative.slug}/m/{message.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Variant B · WhatsApp" in html
    assert "Olga Owner" not in html.split("Per promoter")[1].split("</table>")[0]
    assert "Otto Outsider" in html
    assert "€25.00" in html
    assert "2 hours" in html or "2h" in html or "2 h" in html
    assert "No winner yet." in html
    assert "<svg" in html and "<polyline" in html


def test_the_z_test_names_a_winner_only_when_the_difference_is_significant():
    a = stats.Row(("a",), "A", visitors=1000, converters=50)
    b = stats.Row(("b",), "B", visitors=1000, converters=90)
    clear = stats.z_test(a, b)
    assert clear.winner is b
    assert clear.p_value < 0.01
    assert "very likely the better message" in clear.explanation

    close = stats.z_test(
        stats.Row(("a",), "A", visitors=100, converters=5), stats.Row(("b",), "B", visitors=100, converters=7)
    )
    assert close.winner is None
    assert close.p_value > 0.05
    assert "no winner yet" in close.explanation.lower()

    empty = stats.z_test(stats.Row(("a",), "A"), stats.Row(("b",), "B", visitors=3))
    assert empty.winner is None and empty.p_value is None


def test_the_z_test_matches_a_known_result():
    # 200/1000 against 250/1000: z = -2.68, two-sided p = 0.0074 (textbook two-proportion test).
    result = stats.z_test(
        stats.Row((1,), "A", visitors=1000, converters=200),
        stats.Row((2,), "B", visitors=1000, converters=250),
    )
    assert round(result.z, 2) == -2.68
    assert round(result.p_value, 4) == 0.0074


def test_csv_export_has_a_row_per_day_variant_and_channel(client_as, owner, initiative, message, variants):
    buyer = _click(_short(initiative, variants["A"], "x"))
    _convert(buyer, "1", amount_minor=1000, currency="EUR")

    response = client_as(owner).get(f"/outreach/{initiative.slug}/m/{message.pk}/export.csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["variant"] == "A" and rows[0]["channel"] == "x"
    assert (rows[0]["clicks"], rows[0]["unique_visitors"], rows[0]["donation"]) == ("1", "1", "1")
    assert rows[0]["money_minor"] == "EUR:1000"


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("team", 200), ("member", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_only_the_team_sees_the_dashboards(people, client_as, initiative, message, role, status):
    client = client_as(people[role])
    for path in (
        f"/outreach/{initiative.slug}/",
        f"/outreach/{initiative.slug}/new/",
        f"/outreach/{initiative.slug}/m/{message.pk}/",
        f"/outreach/{initiative.slug}/m/{message.pk}/export.csv",
    ):
        assert client.get(path).status_code == status, path
    assert client.post(
        f"/outreach/{initiative.slug}/m/{message.pk}/send/", {"variant": "A", "medium": "email"}
    ).status_code in {status, 302}


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 200), ("member", 200), ("outsider", 200), ("anonymous", 302)]
)
def test_signed_in_members_get_their_own_promoter_links(people, client_as, initiative, message, role, status):
    response = client_as(people[role]).get(f"/outreach/{initiative.slug}/m/{message.pk}/share/")
    assert response.status_code == status
    if status == 200:
        assert "Clicks" not in response.content.decode()
        assert message.links.filter(promoter=people[role]).count() == 12


def test_a_message_of_another_initiative_is_not_found(client_as, owner, make_initiative, message):
    other = make_initiative()
    assert client_as(owner).get(f"/outreach/{other.slug}/m/{message.pk}/").status_code == 404


def test_the_team_writes_a_message_with_two_variants(client_as, owner, initiative):
    response = client_as(owner).post(
        f"/outreach/{initiative.slug}/new/",
        {
            "title": "Autumn",
            "target": "",
            "text_a": "Water now.",
            "text_b": "Taps for 300 families.",
            "sms_b": "Taps!",
        },
    )

    message = Message.objects.get(title="Autumn")
    assert response["Location"] == f"/outreach/{initiative.slug}/m/{message.pk}/"
    assert message.target == initiative.get_absolute_url()
    assert [(v.label, v.text, v.sms_text) for v in message.variants.all()] == [
        ("A", "Water now.", ""),
        ("B", "Taps for 300 families.", "Taps!"),
    ]
    page = client_as(owner).get(response["Location"]).content.decode()
    assert page.count('data-variant="A"') == 6 and page.count('data-variant="B"') == 6


def test_a_message_leading_off_the_site_is_refused_with_a_form_error(client_as, owner, initiative):
    response = client_as(owner).post(
        f"/outreach/{initiative.slug}/new/",
        {"title": "Evil", "target": "https://evil.example/", "text_a": "Hi"},
    )
    assert response.status_code == 200
    assert "Links may only lead to a page on this site" in response.content.decode()
    assert not Message.objects.exists()


def test_the_drawn_figures_change_as_soon_as_a_click_or_conversion_arrives(
    client_as, owner, initiative, message, variants
):
    team = client_as(owner)
    url = f"/outreach/{initiative.slug}/m/{message.pk}/"
    page = team.get(url).content.decode()
    assert "Nothing yet." in page

    buyer = _click(_short(initiative, variants["A"], "facebook"))
    page = team.get(url).content.decode()
    assert "Variant A · Facebook" in page

    _convert(buyer, "late", amount_minor=700, currency="EUR")
    assert "€7.00" in team.get(url).content.decode()


def test_the_chart_draws_in_dutch_too(client_as, owner, initiative, message, variants):
    """Dutch writes decimals with a comma; an SVG coordinate with one is no coordinate at all."""
    import re

    from django.conf import settings

    _click(_short(initiative, variants["A"], "x"))
    client = client_as(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    html = client.get(f"/outreach/{initiative.slug}/m/{message.pk}/").content.decode()
    assert "Klikken per dag" in html
    assert "0,0%" in html  # the conversion rate, written the Dutch way
    chart = html[html.index("<svg viewBox") : html.index("</svg>")]
    coordinates = re.findall(r'\b(?:x|y|x1|y1|x2|y2|width|height)="([^"]*)"', chart)
    assert coordinates, chart
    assert all(re.fullmatch(r"-?\d+(\.\d+)?%?", value) for value in coordinates), coordinates
