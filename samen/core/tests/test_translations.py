"""Every catalogue is complete, compiled, and used; our templates have no text left unmarked.

The root catalogue (locale/<language>/) speaks every language in settings.LANGUAGES: it holds the reporter's
pages and the site around them. A feature app with a catalogue of its own (samen/<app>/locale/<language>/)
offers the languages it has a catalogue for, at least Dutch; in the others its pages show English.

After changing any user-visible text, run `make messages` (makemessages, then compilemessages),
translate every new or fuzzy entry in each catalogue, and run `make messages` once more to compile
what you translated.

The .mo files are committed, so machines without GNU gettext still serve every language.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.urls import reverse

BASE = Path(settings.BASE_DIR)
OFFERED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# The root catalogue in every language the site offers, plus every catalogue a feature app keeps
# (samen/<app>/locale/): makemessages puts each string in the catalogue nearest to the file it comes from.
ROOT_CATALOGUES = [BASE / "locale" / code / "LC_MESSAGES" for code in OFFERED]
FEATURE_CATALOGUES = sorted(path.parent for path in BASE.glob("samen/*/locale/*/LC_MESSAGES/django.po"))
CATALOGUES = ROOT_CATALOGUES + FEATURE_CATALOGUES
# The plural rule we expect per language; any other language must at least give a rule gettext can run.
PLURAL_FORMS = {"nl": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}
TEMPLATE_DIRS = [BASE / "templates", *sorted(BASE.glob("samen/*/templates"))]


# --- A small .po reader (the standard library has none) ------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid[:60]!r}"


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def read_po(path: Path) -> list[Entry]:
    """Every entry, the header included; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    key: tuple[str, int] | None = None

    def finish():
        nonlocal entry
        if entry is not None and key is not None:
            entries.append(entry)
        entry = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                key = None
            continue
        if line.startswith("#,"):
            if entry is None or key is not None:
                finish()
                entry, key = Entry(line=number), None
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert entry is not None and key is not None, f"line {number}: a string continues nothing"
            name, index = key
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid") and entry is not None and key is not None and key[0] == "msgstr":
            finish()
        if entry is None:
            entry = Entry(line=number)
        match = re.fullmatch(r"msgstr\[(\d+)\]", word)
        if match:
            key = ("msgstr", int(match.group(1)))
            entry.msgstr[key[1]] = _unquote(rest)
        elif word == "msgstr":
            key = ("msgstr", 0)
            entry.msgstr[0] = _unquote(rest)
        elif word in ("msgid", "msgid_plural", "msgctxt"):
            key = (word, 0)
            setattr(entry, word, _unquote(rest))
        else:
            raise AssertionError(f"line {number}: cannot read {raw!r}")
    finish()
    return entries


def language_of(lc_messages: Path) -> str:
    return lc_messages.parent.name


@pytest.fixture(scope="module", params=CATALOGUES, ids=lambda path: str(path.relative_to(BASE)))
def lc_messages(request) -> Path:
    return request.param


@pytest.fixture(scope="module")
def po_entries(lc_messages) -> list[Entry]:
    po_file = lc_messages / "django.po"
    assert po_file.exists(), f"{po_file} is missing: run make messages"
    return read_po(po_file)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    return [entry for entry in po_entries if entry.msgid or entry.msgctxt]


@dataclass
class Plurals:
    count: int
    form_for: object  # n -> index of the form gettext picks

    def numbers(self, form: int) -> set[int]:
        """The counts (up to 200) that use this form."""
        return {n for n in range(201) if self.form_for(n) == form}  # type: ignore[operator]


def plurals_of(po_entries: list[Entry]) -> Plurals:
    header = next(entry for entry in po_entries if not entry.msgid and not entry.msgctxt).msgstr[0]
    match = re.search(r"Plural-Forms:\s*nplurals=(\d+);\s*plural=([^;\n]+);?", header)
    assert match, "The header has no Plural-Forms line"
    return Plurals(int(match.group(1)), gettext.c2py(match.group(2)))


# --- The catalogues ------------------------------------------------------------------------------


def test_every_language_the_site_offers_has_a_root_catalogue():
    missing = [str(path.relative_to(BASE)) for path in ROOT_CATALOGUES if not (path / "django.po").exists()]
    assert not missing, "Run make messages and translate: " + ", ".join(missing)


def test_feature_apps_speak_dutch_and_only_languages_the_site_offers():
    """A feature app may leave out French or Haitian Creole (its pages are then English there), never Dutch."""
    apps = {path.parents[2].name for path in FEATURE_CATALOGUES}
    for app in apps:
        languages = {language_of(path) for path in FEATURE_CATALOGUES if path.parents[2].name == app}
        assert "nl" in languages, app
        assert languages <= set(OFFERED), (app, languages)


def test_the_header_names_the_language_and_its_plural_forms(po_entries, lc_messages):
    language = language_of(lc_messages)
    header = next(entry for entry in po_entries if not entry.msgid and not entry.msgctxt)
    text = header.msgstr[0].replace("\n", "\\n")
    assert f"Language: {language}\\n" in text
    assert "charset=UTF-8" in text
    assert "fuzzy" not in header.flags
    if language in PLURAL_FORMS:
        assert f"Plural-Forms: {PLURAL_FORMS[language]}" in text
    plurals = plurals_of(po_entries)
    assert plurals.count >= 1
    assert {plurals.form_for(n) for n in range(201)} == set(range(plurals.count)), "a form no count uses"  # type: ignore[operator]


def test_no_entry_is_fuzzy(messages):
    fuzzy = [entry.label for entry in messages if "fuzzy" in entry.flags]
    assert not fuzzy, "Check and un-fuzzy these entries:\n" + "\n".join(fuzzy)


def test_every_entry_is_translated(messages, po_entries, lc_messages):
    plurals = plurals_of(po_entries)
    missing = []
    for entry in messages:
        forms = list(range(plurals.count)) if entry.msgid_plural is not None else [0]
        if any(not entry.msgstr.get(form) for form in forms) or set(entry.msgstr) != set(forms):
            missing.append(entry.label)
    assert not missing, f"{len(missing)} entries without a translation into {language_of(lc_messages)}:\n" + (
        "\n".join(missing)
    )


PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{\{?\s*\w+\s*\}?\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _shape(text: str) -> tuple[list[str], list[str]]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", ""))), sorted(TAG.findall(text))


def test_translations_keep_every_placeholder_and_tag(messages, po_entries):
    plurals = plurals_of(po_entries)
    wrong = []
    for entry in messages:
        if entry.msgid_plural is None:
            pairs = [(entry.msgid, entry.msgstr.get(0, ""))]
        else:
            # A form used for the count 1 alone answers the English singular; any other form (French uses
            # form 0 for 0 and 1) answers the English plural, whose count it must show.
            pairs = [
                (
                    entry.msgid if plurals.numbers(form) == {1} else entry.msgid_plural,
                    entry.msgstr.get(form, ""),
                )
                for form in range(plurals.count)
            ]
        for source, translation in pairs:
            if translation and _shape(source) != _shape(translation):
                wrong.append(f"{entry.label} -> {translation!r}")
    assert not wrong, "Placeholders or HTML tags differ:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po_file(messages, lc_messages):
    """A .mo compiled from an older .po (or never compiled) would silently show English."""
    mo_file = lc_messages / "django.mo"
    assert mo_file.exists(), f"{mo_file} is missing: run compilemessages"
    with mo_file.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}  # type: ignore[attr-defined]

    expected: dict = {}
    for entry in messages:
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            for form, text in entry.msgstr.items():
                expected[(msgid, form)] = text
    stale = sorted(str(key) for key in expected.keys() ^ catalog.keys())
    assert not stale, "django.mo and django.po differ; run compilemessages. Differing ids:\n" + "\n".join(
        stale
    )
    differ = sorted(str(key) for key in expected if expected[key] != catalog[key])
    assert not differ, "django.mo has other translations than django.po; run compilemessages:\n" + "\n".join(
        differ
    )


# --- Pages in Dutch ------------------------------------------------------------------------------


@pytest.fixture
def dutch_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    return client


@pytest.mark.django_db
def test_the_home_page_speaks_dutch_with_the_language_cookie(dutch_client, initiative):
    response = dutch_client.get(reverse("home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl">' in page
    for text in ("Initiatieven", "Taal", "Inloggen", "Registreren", "Samen goed doen"):
        assert text in page, text
    assert ">Log in<" not in page
    assert ">Language<" not in page


@pytest.mark.django_db
def test_the_initiatives_list_speaks_dutch_with_the_language_cookie(dutch_client, initiative):
    response = dutch_client.get(reverse("initiatives:list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Initiatieven</h1>" in page
    assert "Zoeken" in page
    assert "1 initiatief" in page
    assert "Taal" in page


@pytest.mark.django_db
def test_accept_language_nl_gives_dutch(client):
    response = client.get(reverse("initiatives:list"), headers={"accept-language": "nl-NL,nl;q=0.9"})

    assert response.status_code == 200
    assert "<h1>Initiatieven</h1>" in response.content.decode()


@pytest.mark.django_db
def test_english_stays_the_default(client):
    response = client.get(reverse("initiatives:list"))

    assert "<h1>Initiatives</h1>" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switcher_sets_dutch(client):
    response = client.post(reverse("set_language"), {"language": "nl", "next": reverse("home")}, follow=True)

    assert response.status_code == 200
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    assert "Initiatieven" in response.content.decode()


# --- French and Haitian Creole -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_switcher_offers_every_language_in_its_own_name(client):
    page = client.get(reverse("home")).content.decode()

    options = re.findall(r'<option value="(\w+)" lang="\1"(?: selected)?>([^<]+)</option>', page)
    assert options == [("en", "English"), ("nl", "Nederlands"), ("fr", "français"), ("ht", "Kreyòl Ayisyen")]


@pytest.mark.django_db
def test_the_home_page_speaks_french_with_the_language_cookie(client, initiative):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    page = client.get(reverse("home")).content.decode()

    assert '<html lang="fr">' in page
    for text in ("Initiatives", "Langue", "Se connecter", "S'inscrire", "Faire le bien, ensemble"):
        assert text in page, text
    assert ">Log in<" not in page


@pytest.mark.django_db
def test_accept_language_fr_gives_french(client):
    response = client.get(reverse("initiatives:list"), headers={"accept-language": "fr-HT,fr;q=0.9"})

    assert "Trouver des initiatives" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "ht"])
def test_the_language_switcher_sets_french_and_haitian_creole(client, language):
    response = client.post(
        reverse("set_language"), {"language": language, "next": reverse("home")}, follow=True
    )

    assert response.status_code == 200
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f'<option value="{language}" lang="{language}" selected>' in page


@pytest.mark.django_db
def test_accept_language_ht_gives_haitian_creole(client):
    response = client.get(reverse("home"), headers={"accept-language": "ht,fr;q=0.8"})

    assert '<html lang="ht">' in response.content.decode()


# --- No text left unmarked in our templates ------------------------------------------------------

# Names that are the same in every language.
UNTRANSLATED_WORDS = {"Samen"}
# Not text: comments, code samples (the API's header syntax, a curl command) and scripts.
NOT_TEXT = [re.compile(r"<!--.*?-->", re.S), re.compile(r"<(script|style|pre|code)\b.*?</\1>", re.S | re.I)]
# Attributes that people read (or hear, from a screen reader): their values count as text.
READ_ATTRIBUTES = re.compile(
    r"""\b(?:title|alt|placeholder|aria-label|label)\s*=\s*(["'])(.*?)\1""", re.S | re.I
)
TAGS_AND_ENTITIES = re.compile(r"<[^>]*>|&[#\w]+;", re.S)
TRANSLATE_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}


def unmarked_text(source: str) -> list[str]:
    """Words in a template that reach the page without passing through {% translate %}."""
    visible: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.split_contents()[0]
            if closing is None and name in TRANSLATE_BLOCKS:
                closing = TRANSLATE_BLOCKS[name]
            elif name == closing:
                closing = None
            visible.append("\x00")  # a tag or variable: never a word, but splits words around it
        elif token.token_type == TokenType.VAR:
            visible.append("\x00")
        elif token.token_type == TokenType.TEXT and closing is None:
            visible.append(token.contents)
    text = "".join(visible)
    for pattern in NOT_TEXT:
        text = pattern.sub("\x00", text)
    attributes = [match.group(2) for match in READ_ATTRIBUTES.finditer(text)]
    text = "\x00".join([TAGS_AND_ENTITIES.sub("\x00", text), *attributes])
    words = re.findall(r"[^\W\d_][\w'’-]*", text)
    return [word for word in words if word not in UNTRANSLATED_WORDS]


def _our_templates() -> list[Path]:
    return sorted(
        path for folder in TEMPLATE_DIRS for path in folder.rglob("*") if path.suffix in {".html", ".txt"}
    )


def test_the_scanner_finds_unmarked_text():
    assert unmarked_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_text('<a title="{% translate "Home" %}">{% translate "Home" %}</a>') == []
    assert unmarked_text("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}<b>Bye</b>") == ["Bye"]
    assert unmarked_text("<pre><code>Authorization: Bearer</code></pre>{# note #}<!-- x -->") == []
    assert unmarked_text('<nav aria-label="Main"><img alt="{{ alt }}" src="a.png"></nav>') == ["Main"]


@pytest.mark.parametrize("path", _our_templates(), ids=lambda p: str(p.relative_to(BASE)))
def test_templates_have_no_unmarked_text(path):
    words = unmarked_text(path.read_text(encoding="utf-8"))
    assert not words, f"Wrap in {{% translate %}} or {{% blocktranslate %}}: {words}"


def test_every_svg_chart_writes_its_coordinates_unlocalised():
    """A chart drawn in Dutch would get decimal commas in its coordinates (x="40,5") and fall apart."""
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    charts = [
        path
        for path in [*root.glob("templates/**/*.html"), *root.glob("samen/*/templates/**/*.html")]
        if "<svg viewBox" in path.read_text()
    ]
    assert len(charts) >= 5
    for path in charts:
        text = path.read_text()
        start = text.index("<svg viewBox")
        assert "{% localize off %}" in text[:start] and "{% endlocalize %}" in text[start:], path
