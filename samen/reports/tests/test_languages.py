"""A reporter or a coordinator reads every report page in French and Haitian Creole, and each category
by the name the map gives it in that language.

The pages are checked against the root catalogue of the language itself: no English text of any entry
it translates may reach the page (its words, its buttons, its labels and what a screen reader hears).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from samen.core.tests.test_translations import PLACEHOLDER, TAG, read_po
from samen.initiatives.models import Initiative
from samen.reports import notify
from samen.reports.models import Report, Subscription, Webhook
from samen.reports.views.web import SESSION_KEY

pytestmark = pytest.mark.django_db

LANGUAGES = ["fr", "ht"]
# What the map calls its categories, per language.
EMERGENCY = {"en": "Emergency", "fr": "Urgences", "ht": "Ijans", "nl": "Noodgeval"}


# --- What of a page is text ----------------------------------------------------------------------

READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label"}


class _Text(HTMLParser):
    """The words a visitor reads or hears: text outside scripts and styles, and the read attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def page_text(content: str) -> tuple[str | None, str]:
    parser = _Text()
    parser.feed(content)
    return parser.lang, " \n ".join(" ".join(part.split()) for part in parser.parts)


def english_phrases(language: str) -> list[str]:
    """English text of the catalogue's entries that the language says differently.

    Whole entries of two words or more, and the runs of three words or more between the
    placeholders and tags of longer ones: shorter pieces would also match the test data.
    """
    po_file = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    assert po_file.exists(), f"{po_file} is missing"
    phrases = set()
    for entry in read_po(po_file):
        if not entry.msgid or entry.msgstr.get(0) in ("", entry.msgid):
            continue
        for source in filter(None, [entry.msgid, entry.msgid_plural]):
            source = source.replace("%%", "%")
            if not PLACEHOLDER.search(source) and not TAG.search(source):
                if " " in source.strip():
                    phrases.add(source.strip())
                continue
            for piece in re.split(f"{PLACEHOLDER.pattern}|{TAG.pattern}", source):
                piece = piece.strip(" .,:;“”\"'()")
                if len(piece.split()) >= 3:
                    phrases.add(piece)
    return sorted(phrases)


def english_on(content: str, phrases: list[str]) -> list[str]:
    _lang, text = page_text(content)
    return [phrase for phrase in phrases if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)]


def test_the_check_finds_english_text_attributes_and_labels():
    phrases = ["Send a report", "Filter the reports", "Only reviewers see it"]
    content = (
        '<html lang="fr"><nav aria-label="Filter the reports"></nav><p>Envoyer un signalement</p>'
        "<script>var x = 'Send a report';</script><p>Only reviewers see it.</p></html>"
    )

    assert english_on(content, phrases) == ["Filter the reports", "Only reviewers see it"]
    assert page_text(content)[0] == "fr"


# --- The pages -----------------------------------------------------------------------------------


@pytest.fixture
def scene(report_map, categories, make_report, owner):
    """A map in a Haitian town, with text that is no English sentence: what the pages show of it is
    the visitor's data, and the check is about our words around it."""
    Initiative.objects.filter(pk=report_map.initiative_id).update(
        title="Dlo pwòp Jakmèl", summary="Pwen dlo ak leson ijyèn."
    )
    report_map.title = "Pwoblèm dlo Jakmèl"
    report_map.description = "Di nou ki kote pwen dlo yo kase."
    report_map.save()
    urgent = categories["urgent"]
    urgent.translations = {key: value for key, value in EMERGENCY.items() if key != "en"}
    urgent.save()
    published = make_report(
        title="Tiyo kase lekòl",
        description="Tiyo a kase depi yè.",
        status=Report.Status.PUBLISHED,
        published_at=timezone.now(),
        primary_category=urgent,
        reporter_name="Jean Baptiste",
    )
    published.categories.set([urgent])
    waiting = make_report(title="Pa gen dlo", description="Pa gen dlo nan pwen an.", reporter_name="Marie")
    waiting.categories.set([urgent])
    unplaced = make_report(
        title="Ponp lan pa mache",
        description="Ponp lan pa mache.",
        latitude=None,
        longitude=None,
        status=Report.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    webhook = Webhook.objects.create(report_map=report_map, url="https://hooks.example.org/samen")
    subscription = Subscription.objects.create(
        report_map=report_map, channel="email", address="amina@example.org", confirmed_at=timezone.now()
    )
    pending = Subscription.objects.create(report_map=report_map, channel="sms", address="+50934123456")
    return {
        "map": report_map,
        "published": published,
        "waiting": waiting,
        "unplaced": unplaced,
        "webhook": webhook,
        "subscription": subscription,
        "pending": pending,
        "owner": owner,
    }


def reporter_pages(scene) -> list[str]:
    slug = scene["map"].slug
    return [
        reverse("reports:map", args=[slug]),
        reverse("reports:map", args=[slug]) + "?category=" + str(scene["published"].primary_category_id),
        reverse("reports:map_list", args=[slug]) + "?unplaced=on",
        reverse("reports:detail", args=[slug, scene["published"].pk]),
        reverse("reports:report", args=[slug]),
        reverse("reports:thanks", args=[slug, scene["published"].pk]),
        reverse("reports:subscribe", args=[slug]),
        reverse("reports:subscribe_sent", args=[slug]),
        reverse("reports:subscription_confirm", args=[slug, scene["pending"].token]),
        reverse("reports:unsubscribe", args=[slug, scene["subscription"].token]),
        reverse("reports:csv_export_page", args=[slug]),
        reverse("home"),
        reverse("account_login"),
    ]


def coordinator_pages(scene) -> list[str]:
    slug = scene["map"].slug
    initiative_slug = scene["map"].initiative.slug
    return [
        reverse("reports:map", args=[slug]),
        reverse("reports:detail", args=[slug, scene["waiting"].pk]),
        reverse("reports:review", args=[slug]),
        reverse("reports:review", args=[slug]) + "?status=all",
        reverse("reports:review_edit", args=[slug, scene["waiting"].pk]),
        reverse("reports:csv_import", args=[slug]),
        reverse("reports:csv_export_page", args=[slug]),
        reverse("reports:manage", args=[slug]),
        reverse("reports:manage_reviewers", args=[slug]),
        reverse("reports:manage_categories", args=[slug]),
        reverse("reports:manage_category", args=[slug, scene["published"].primary_category_id]),
        reverse("reports:webhooks", args=[slug]),
        reverse("reports:webhook", args=[slug, scene["webhook"].pk]),
        reverse("reports:initiative_maps", args=[initiative_slug]),
        reverse("reports:create", args=[initiative_slug]),
    ]


def speaking(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_speaks(response, language, phrases):
    assert response.status_code == 200, response.request["PATH_INFO"]
    content = response.content.decode()
    lang, _text = page_text(content)
    if "<html" in content:  # the list beside the map also comes alone, for htmx
        assert lang == language, response.request["PATH_INFO"]
    leaks = english_on(content, phrases)
    assert not leaks, f"English on {response.request['PATH_INFO']} in {language}: {leaks}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_a_reporter_sees_speaks_the_language(client, scene, language):
    phrases = english_phrases(language)
    client = speaking(client, language)
    session = client.session
    session[SESSION_KEY] = [scene["published"].pk]
    session.save()

    for url in reporter_pages(scene):
        assert_speaks(client.get(url), language, phrases)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_a_coordinator_sees_speaks_the_language(client_as, scene, language):
    phrases = english_phrases(language)
    client = speaking(client_as(scene["owner"]), language)

    for url in coordinator_pages(scene):
        assert_speaks(client.get(url), language, phrases)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_with_errors_speaks_the_language(client, scene, language):
    phrases = english_phrases(language)
    client = speaking(client, language)

    response = client.post(
        reverse("reports:report", args=[scene["map"].slug]), {"title": "", "latitude": "x"}
    )

    assert_speaks(response, language, phrases)
    assert 'aria-invalid="true"' in response.content.decode()


# --- Category names ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_map_list_report_page_and_forms_name_categories_in_the_language(
    client, client_as, scene, language
):
    slug, name = scene["map"].slug, EMERGENCY[language]
    client = speaking(client, language)
    pages = {
        "map filter and legend": reverse("reports:map", args=[slug]),
        "list": reverse("reports:map_list", args=[slug]),
        "report page": reverse("reports:detail", args=[slug, scene["published"].pk]),
        "web form": reverse("reports:report", args=[slug]),
        "subscription form": reverse("reports:subscribe", args=[slug]),
    }
    for where, url in pages.items():
        page = client.get(url).content.decode()
        assert name in page, where
        assert ">Emergency<" not in page and "> Emergency<" not in page, where

    map_page = client.get(pages["map filter and legend"]).content.decode()
    assert f"{name}</option>" in map_page
    assert f"{name}</li>" in map_page

    coordinator = speaking(client_as(scene["owner"]), language)
    for url in (
        reverse("reports:review", args=[slug]),
        reverse("reports:review_edit", args=[slug, scene["waiting"].pk]),
    ):
        page = coordinator.get(url).content.decode()
        assert name in page, url
        assert "Emergency<" not in page, url


def test_a_category_without_a_name_in_the_language_keeps_its_own(client, scene):
    page = speaking(client, "ht").get(reverse("reports:map", args=[scene["map"].slug])).content.decode()

    assert "Unsafe water" in page  # named in English only
    assert "Point d&#x27;eau cassé" not in page  # French, not Haitian Creole


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_api_names_categories_in_the_language_asked_for(client, scene, language):
    url = f"/api/maps/{scene['map'].slug}/reports/{scene['published'].pk}"

    body = client.get(url, headers={"accept-language": language}).json()

    (category,) = body["categories"]
    assert category["title"] == "Emergency"
    assert category["name"] == EMERGENCY[language]


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_geojson_names_the_main_category_in_the_language(client, scene, language):
    slug = scene["map"].slug
    for url in (
        reverse("reports:geojson", args=[slug]) + "?bbox=-2,36,-1,37",
        f"/api/maps/{slug}/reports.geojson?bbox=-2,36,-1,37",
    ):
        response = client.get(url, headers={"accept-language": language})

        (feature,) = response.json()["features"]
        assert feature["properties"]["category"] == scene["published"].primary_category_id
        assert feature["properties"]["category_name"] == EMERGENCY[language], url


def test_geojson_in_one_language_is_never_served_for_another(client, scene):
    """The map's answers may sit in shared caches: they vary with the language cookie and header."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("reports:geojson", args=[scene["map"].slug]) + "?bbox=-2,36,-1,37")

    vary = {value.strip().lower() for value in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    assert "Urgences" in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_subscriber_gets_the_alert_in_the_language_they_subscribed_in(
    scene, language, django_capture_on_commit_callbacks
):
    subscription = Subscription.objects.create(
        report_map=scene["map"],
        channel="email",
        address="jean@example.org",
        confirmed_at=timezone.now(),
        language=language,
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert notify.notify(scene["published"], subscription, sms_channel=None)

    (message,) = mail.outbox
    assert EMERGENCY[language] in message.body
    assert "Emergency" not in message.body
    (html, _type) = message.alternatives[0]
    assert EMERGENCY[language] in html
    leaks = [phrase for phrase in english_phrases(language) if phrase in message.body or phrase in html]
    assert not leaks, leaks
