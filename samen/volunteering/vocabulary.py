"""A small multilingual vocabulary: skills and languages as concept ids, with the words people use.

Both sides of a match are normalised to concepts, so "traduction" in a task written in French meets
"translation" in a profile written in English, and "Nederlands", "néerlandais" and "Dutch" are one
language. Words the vocabulary does not know fall back to a light stem ("gardening" → "garden"),
and a near miss of a known word ("tranlsation") to that word, so an exact skill still matches.

Labels are English and translatable: the reason shown to a member is in their own language.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

# concept id -> (label, words in en / nl / fr / es / sw / de / ht)
SKILLS: dict[str, tuple] = {
    "translation": (
        _("translation"),
        "translation translating translator translate vertaling vertalen vertaler traduction traduire traducteur traducción traducir traductor tafsiri kutafsiri übersetzung übersetzen tradiksyon",
    ),
    "interpreting": (
        _("interpreting"),
        "interpreting interpreter tolk tolken interprétation interprète interpretación intérprete mkalimani dolmetschen dolmetscher entèprèt",
    ),
    "teaching": (
        _("teaching"),
        "teaching teacher tutoring tutor lesgeven leraar docent bijles enseignement enseignant professeur tutorat enseñanza profesor docente tutoría kufundisha mwalimu unterrichten lehrer nachhilfe ansèyman pwofesè",
    ),
    "writing": (
        _("writing"),
        "writing writer copywriting blogging schrijven schrijver tekstschrijven rédaction écrire écrivain rédacteur redacción escribir escritor uandishi kuandika schreiben texter ekri",
    ),
    "editing": (
        _("editing"),
        "editing proofreading editor redigeren redactie correctie révision relecture correction edición corrección revisión kuhariri lektorat korrektur korije",
    ),
    "web_development": (
        _("web development"),
        "web development website websites web developer html css javascript django wordpress webontwikkeling webdesign développement web site web sitio web desarrollo web ukuzaji wa tovuti tovuti webentwicklung sit entènèt",
    ),
    "software": (
        _("software development"),
        "software programming programmer coding developer python programmeren programmeur ontwikkelaar programmation développeur logiciel programación programador desarrollador software upangaji programu programmierung entwickler pwogramasyon",
    ),
    "it_support": (
        _("IT support"),
        "it support computer repair computers network networking helpdesk ict computerhulp netwerk informatique réseau ordinateurs soporte informático ordenadores redes kompyuta mtandao it-support computerhilfe enfòmatik òdinatè",
    ),
    "data_analysis": (
        _("data analysis"),
        "data analysis data analyst statistics spreadsheet excel data-analyse statistiek analyse de données statistiques tableur análisis de datos estadística uchambuzi wa data takwimu datenanalyse statistik analiz done",
    ),
    "graphic_design": (
        _("graphic design"),
        "graphic design designer illustration logo poster grafisch ontwerp vormgeving ontwerper graphisme conception graphique graphiste diseño gráfico diseñador usanifu wa picha grafikdesign gestaltung grafis",
    ),
    "photography": (
        _("photography"),
        "photography photographer photos fotografie fotograaf photographie photographe fotografía fotógrafo upigaji picha mpiga picha fotograf foto",
    ),
    "video": (
        _("video"),
        "video filming film editing videography montage vidéo tournage vídeo rodaje filamu videoschnitt videyo",
    ),
    "marketing": (
        _("marketing"),
        "marketing promotion advertising communications campaign campaigns communicatie reclame campagne communication publicité campaña comunicación publicidad masoko matangazo kampagne werbung kominikasyon",
    ),
    "social_media": (
        _("social media"),
        "social media facebook instagram twitter tiktok sociale media réseaux sociaux redes sociales mitandao ya kijamii soziale medien rezo sosyal",
    ),
    "fundraising": (
        _("fundraising"),
        "fundraising fund raising grant writing grants donors fondsenwerving subsidies collecte de fonds levée de fonds subventions recaudación de fondos subvenciones kuchangisha fedha ufadhili spendensammeln fundraising ranmase lajan",
    ),
    "accounting": (
        _("accounting"),
        "accounting bookkeeping accountant finance budget budgeting boekhouding boekhouder financiën comptabilité comptable finances contabilidad contable finanzas uhasibu mhasibu fedha buchhaltung buchführung kontablite",
    ),
    "legal": (
        _("legal advice"),
        "legal law lawyer legal advice juridisch advocaat recht juridique avocat droit conseil juridique jurídico abogado derecho asesoría legal sheria wakili rechtsberatung anwalt jiridik avoka",
    ),
    "project_management": (
        _("project management"),
        "project management project manager planning coordination coordinating projectmanagement projectleider coördinatie gestion de projet chef de projet coordination gestión de proyectos coordinación usimamizi wa mradi uratibu projektmanagement koordination jesyon pwojè",
    ),
    "research": (
        _("research"),
        "research researcher survey surveys onderzoek onderzoeker enquête recherche chercheur sondage investigación investigador encuesta utafiti mtafiti forschung umfrage rechèch",
    ),
    "healthcare": (
        _("healthcare"),
        "healthcare health care nursing nurse doctor medical first aid zorg verpleging verpleegkundige arts eerste hulp soins infirmier infirmière médecin premiers secours salud enfermería enfermera médico primeros auxilios afya uuguzi muuguzi daktari huduma ya kwanza pflege krankenpflege arzt erste hilfe swen sante enfimyè doktè",
    ),
    "counselling": (
        _("counselling"),
        "counselling counseling psychology psychologist listening coaching mentoring begeleiding psycholoog coachen mentor psychologie écoute accompagnement psicología psicólogo acompañamiento ushauri nasaha beratung psychologe konsèy",
    ),
    "construction": (
        _("construction"),
        "construction building builder carpentry carpenter masonry bouw bouwen timmerman metselen construction bâtiment charpentier maçonnerie construcción albañil carpintería ujenzi fundi bau bauen zimmermann konstriksyon bòs chapant",
    ),
    "plumbing": (
        _("plumbing"),
        "plumbing plumber water pipes pipes loodgieter leidingen plomberie plombier fontanería fontanero plomería fundi bomba mabomba sanitär klempner plonbri",
    ),
    "electrical": (
        _("electrical work"),
        "electrical electrician wiring solar panels solar elektricien elektra zonnepanelen électricité électricien panneaux solaires electricidad electricista paneles solares umeme fundi umeme sola elektrik elektriker solaranlagen elektrisyen",
    ),
    "agriculture": (
        _("agriculture"),
        "agriculture farming farmer agronomy crops irrigation landbouw boer akkerbouw irrigatie agriculture agriculteur agronomie cultures agricultura agricultor cultivos riego kilimo mkulima umwagiliaji landwirtschaft bauer bewässerung agrikilti",
    ),
    "gardening": (
        _("gardening"),
        "gardening gardener garden horticulture tuinieren tuinman moestuin jardinage jardinier potager jardinería jardinero huerto bustani mkulima wa bustani gartenarbeit gärtner jaden",
    ),
    "cooking": (
        _("cooking"),
        "cooking cook chef catering food preparation koken kok cuisine cuisinier cocina cocinero kupika mpishi kochen koch kwit manje",
    ),
    "driving": (
        _("driving"),
        "driving driver transport delivery rijbewijs chauffeur vervoer bezorgen conduite conducteur livraison conducir conductor reparto kuendesha dereva usafiri fahren fahrer kondui chofè",
    ),
    "logistics": (
        _("logistics"),
        "logistics supply chain warehouse distribution logistiek magazijn distributie logistique entrepôt logística almacén distribución usafirishaji ghala logistik lager lojistik",
    ),
    "event_organising": (
        _("event organising"),
        "event organising event organizing events event planning evenementen organiseren événementiel organisation d'événements eventos organización de eventos kuandaa matukio veranstaltungen eventplanung òganize evènman",
    ),
    "childcare": (
        _("childcare"),
        "childcare child care children kids babysitting kinderopvang kinderen garde d'enfants enfants cuidado infantil niños malezi ya watoto watoto kinderbetreuung kinder gadri timoun",
    ),
    "elderly_care": (
        _("care for older people"),
        "elderly care older people seniors ouderenzorg ouderen senioren personnes âgées aînés cuidado de mayores personas mayores wazee utunzaji wa wazee altenpflege senioren granmoun",
    ),
    "sign_language": (
        _("sign language"),
        "sign language gebarentaal langue des signes lengua de señas lenguaje de señas lugha ya ishara gebärdensprache lang siy",
    ),
    "accessibility": (
        _("accessibility"),
        "accessibility disability inclusion wcag toegankelijkheid beperking inclusie accessibilité handicap accesibilidad discapacidad ufikivu ulemavu barrierefreiheit behinderung aksesibilite",
    ),
    "mapping": (
        _("mapping"),
        "mapping maps gis openstreetmap cartography kaarten cartografie cartographie cartes cartografía mapas ramani kartierung karten kat",
    ),
    "environment": (
        _("environmental work"),
        "environmental conservation recycling climate tree planting nature milieu natuurbehoud klimaat bomen planten environnement conservation recyclage climat plantation d'arbres medio ambiente reciclaje clima reforestación mazingira uhifadhi kupanda miti umwelt naturschutz klima anviwònman",
    ),
    "water_sanitation": (
        _("water and sanitation"),
        "water sanitation wash hygiene latrines water supply watervoorziening sanitatie hygiëne eau assainissement hygiène agua saneamiento higiene maji usafi wa mazingira wasser sanitär hygiene dlo asenisman ijyèn",
    ),
    "tourism": (
        _("tourism"),
        "tourism eco-tourism ecotourism hospitality guiding tour guide toerisme ecotoerisme gastvrijheid gids tourisme écotourisme guide turismo ecoturismo guía utalii mwongozaji tourismus ökotourismus touris",
    ),
    "business": (
        _("business advice"),
        "business business plan entrepreneurship strategy small business bedrijfsplan ondernemerschap strategie plan d'affaires entrepreneuriat stratégie plan de negocios emprendimiento estrategia biashara mpango wa biashara ujasiriamali geschäftsplan unternehmertum biznis",
    ),
    "sewing": (
        _("sewing"),
        "sewing tailoring tailor naaien kleermaker couture couturier costura sastre kushona fundi cherehani nähen schneider koud",
    ),
    "music": (
        _("music"),
        "music musician singing muziek muzikant zingen musique musicien chant música músico canto muziki mwanamuziki musik musiker mizik",
    ),
    "sports": (
        _("sports coaching"),
        "sports sport coach football soccer training sportbegeleiding voetbal trainer entraîneur football deportes entrenador fútbol michezo kocha mpira sporttrainer fußball espò antrenè",
    ),
}

# ISO 639-1 code -> (label, names in several languages)
LANGUAGES: dict[str, tuple] = {
    "en": (_("English"), "english engels anglais inglés kiingereza englisch angle"),
    "nl": (
        _("Dutch"),
        "dutch nederlands néerlandais neerlandés holandés kiholanzi niederländisch olandè flemish vlaams",
    ),
    "fr": (_("French"), "french frans français francés kifaransa französisch franse"),
    "es": (_("Spanish"), "spanish spaans espagnol español castellano kihispania spanisch panyòl"),
    "sw": (_("Swahili"), "swahili kiswahili souahéli suajili"),
    "de": (_("German"), "german duits allemand alemán kijerumani deutsch alman"),
    "ht": (
        _("Haitian Creole"),
        "haitian creole haitian kreyòl kreyol haïtiaans creools créole haïtien criollo haitiano",
    ),
    "pt": (_("Portuguese"), "portuguese portugees portugais portugués kireno portugiesisch pòtigè"),
    "ar": (_("Arabic"), "arabic arabisch arabe árabe kiarabu"),
    "ne": (_("Nepali"), "nepali nepalees népalais nepalí"),
    "hi": (_("Hindi"), "hindi hindoestaans"),
    "am": (_("Amharic"), "amharic amhaars amharique amhárico"),
    "tw": (_("Twi"), "twi akan"),
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    "a an and the of for to in on with by or at from our we you your is are be this that de het een en van voor "
    "met op te in la le les des du et pour avec un une el los las del y para con por una su na ya wa kwa katika "
    "und der die das für mit ein eine pou ak nan yon ki"
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*")
FUZZY_CUTOFF = 0.88
# Words that only mean a skill inside a phrase ("web development", "gestion de projet").
AMBIGUOUS = _words(
    "web wa ya de d'enfants site sitio project projet proyecto mradi pwojè development developpement desarrollo "
    "data done media social sociale sociales care plan management gestion gestión chef language langue lengua "
    "lugha lang water dlo maji agua eau wasser panels supply people personas personnes raising fund events "
    "advice conseil first aid business"
)
_SUFFIXES = ("ation", "ement", "cion", "ing", "ion", "er", "en", "e")


def fold(text: str) -> str:
    """Lower case without accents: "Néerlandais" → "neerlandais"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A deliberately light stem, the same on both sides: plural s, then one common ending."""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1)
def _index() -> tuple[dict[tuple[str, ...], str], int, dict[str, str]]:
    """(phrase as folded tokens → term, longest phrase length, single folded word → term)."""
    phrases: dict[tuple[str, ...], str] = {}
    for table, prefix in ((SKILLS, "skill:"), (LANGUAGES, "lang:")):
        for concept, (_label, words) in table.items():
            # Multi-word phrases are written with the words of a phrase next to each other;
            # every single word and every adjacent pair and triple become entries.
            tokens = [t for t in _TOKEN.findall(fold(words))]
            for size in (1, 2, 3):
                for i in range(len(tokens) - size + 1):
                    gram = tuple(tokens[i : i + size])
                    if size == 1 and gram[0] in STOPWORDS:
                        continue
                    phrases.setdefault(gram, prefix + concept)
            phrases[tuple(_TOKEN.findall(fold(concept.replace("_", " "))))] = prefix + concept
    singles = {gram[0]: term for gram, term in phrases.items() if len(gram) == 1}
    return phrases, 3, singles


@lru_cache(maxsize=1)
def _stemmed() -> dict[str, str]:
    """Stem of a whole vocabulary word → its term, so "translators" finds "translator"."""
    _phrases, _longest, singles = _index()
    found: dict[str, str] = {}
    for word, term in singles.items():
        if _is_whole_word(word):
            found.setdefault(stem(word), term)
    return found


def terms_for(text: str, *, fuzzy: bool = True) -> set[str]:
    """The normalised terms of a piece of text: "skill:…", "lang:…", or "stem:…" for unknown words."""
    phrases, longest, singles = _index()
    tokens = _TOKEN.findall(fold(text))
    found: set[str] = set()
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            gram = tuple(tokens[i : i + size])
            term = phrases.get(gram)
            # Single words must be whole entries of their own, not halves of a phrase ("web").
            if term is not None and (size > 1 or _is_whole_word(gram[0])):
                found.add(term)
                i += size
                break
        else:
            word = tokens[i]
            i += 1
            if word in STOPWORDS or len(word) < 3 or word.isdigit():
                continue
            stemmed = stem(word)
            term = _stemmed().get(stemmed)
            if term is None and fuzzy and len(word) >= 6 and word not in singles:
                term = _fuzzy(word)
            found.add(term or f"stem:{stemmed}")
    return found


@lru_cache(maxsize=1)
def _whole_words() -> frozenset[str]:
    words = set()
    for table in (SKILLS, LANGUAGES):
        for concept, (_label, text) in table.items():
            words.update(_TOKEN.findall(fold(text)))
            words.add(concept)
    return frozenset(words - STOPWORDS - AMBIGUOUS)


def _is_whole_word(word: str) -> bool:
    return word in _whole_words()


@lru_cache(maxsize=4096)
def _fuzzy(word: str) -> str | None:
    _phrases_, _longest, singles = _index()
    candidates = [w for w in singles if len(w) >= 5 and _is_whole_word(w)]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=FUZZY_CUTOFF)
    return singles[close[0]] if close else None


def terms_for_list(items: list[str]) -> set[str]:
    found: set[str] = set()
    for item in items or []:
        found |= terms_for(item)
    return found


def language_codes(items: list[str]) -> set[str]:
    """Language names or codes ("Dutch", "nl", "Nederlands") → ISO codes."""
    codes = set()
    for item in items or []:
        key = fold(item).strip()
        if key in LANGUAGES:
            codes.add(key)
            continue
        codes.update(term[5:] for term in terms_for(item, fuzzy=False) if term.startswith("lang:"))
    return codes


def label(term: str) -> str:
    """What a person reads for a term: the concept's translated label, or the word itself."""
    kind, _, key = term.partition(":")
    if kind == "skill" and key in SKILLS:
        return str(SKILLS[key][0])
    if kind == "lang" and key in LANGUAGES:
        return str(LANGUAGES[key][0])
    return key
