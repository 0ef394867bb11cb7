"""Invent CRM records for the demo: people from many scripts, on reserved email domains only."""

from __future__ import annotations

import csv
import io
import random
import unicodedata

from ..storage import ModuleLayout

# (first names, last names, romanised (first, last) pairs or None when already Latin, country, city)
_LOCALES: list[tuple[list[str], list[str], list[tuple[str, str]] | None, str, list[str]]] = [
    (
        ["Anouk", "Sanne", "Daan", "Bram", "Lotte", "Joris"],
        ["de Vries", "van der Berg", "Jansen", "in 't Veld", "Bakker"],
        None,
        "NL",
        ["Utrecht", "Zwolle", "'s-Hertogenbosch"],
    ),
    (
        ["Jürgen", "Lena", "Björn", "Greta", "Maximilian"],
        ["Strauß", "Müller", "Oßwald", "Schäfer", "Köhler"],
        None,
        "DE",
        ["München", "Köln", "Leipzig"],
    ),
    (
        ["Noël", "Élodie", "Loïc", "Chloé", "Hélène"],
        ["D'Angelo", "Lefèvre", "Dubois", "Moreau", "Béranger"],
        None,
        "FR",
        ["Lyon", "Nantes", "Besançon"],
    ),
    (
        ["Łucja", "Bartłomiej", "Zofia", "Jędrzej"],
        ["Brzęczyszczykiewicz", "Wójcik", "Żak", "Kowalczyk"],
        None,
        "PL",
        ["Kraków", "Gdańsk", "Łódź"],
    ),
    (
        ["Işıl", "İbrahim", "Ayşe", "Çağrı"],
        ["Işık", "İnce", "Şimşek", "Yılmaz"],
        None,
        "TR",
        ["İzmir", "Ankara", "Bursa"],
    ),
    (
        ["Δημήτρης", "Ελένη", "Νίκος"],
        ["Καραγιάννης", "Παπαδοπούλου", "Οικονόμου"],
        [("dimitris", "karagiannis"), ("eleni", "papadopoulou"), ("nikos", "oikonomou")],
        "GR",
        ["Αθήνα", "Πάτρα"],
    ),
    (
        ["Олександр", "Ірина", "Їжак", "Ганна"],
        ["Іваненко", "Шевченко", "Ґонта", "Коваль"],
        [("oleksandr", "ivanenko"), ("iryna", "shevchenko"), ("yizhak", "honta"), ("hanna", "koval")],
        "UA",
        ["Київ", "Львів"],
    ),
    (
        ["伟", "芳", "静"],
        ["王", "李", "张"],
        [("wei", "wang"), ("fang", "li"), ("jing", "zhang")],
        "CN",
        ["上海", "杭州"],
    ),
    (["さくら", "健太"], ["佐藤", "鈴木"], [("sakura", "sato"), ("kenta", "suzuki")], "JP", ["東京", "大阪"]),
    (["지민", "서연"], ["김", "박"], [("jimin", "kim"), ("seoyeon", "park")], "KR", ["서울", "부산"]),
    (
        ["عبد الله", "فاطمة", "يوسف"],
        ["الحسن", "المصري", "النجار"],
        [("abdullah", "alhasan"), ("fatima", "almasri"), ("yusuf", "alnajjar")],
        "EG",
        ["القاهرة"],
    ),
    (["आरव", "प्रिया"], ["शर्मा", "वर्मा"], [("aarav", "sharma"), ("priya", "verma")], "IN", ["मुंबई"]),
    (["Nguyễn Thị", "Trần Văn"], ["Hương", "Đức"], [("thi", "huong"), ("van", "duc")], "VN", ["Hà Nội"]),
    (["Oliver", "Grace", "Liam", "Emma"], ["O'Brien", "Null", "Test", "Smith"], None, "GB", ["London", "Leeds"]),
]
_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "bedrijf.test", "firma.test"]
_SOURCES = ["Web Form", "Trade Show", "Cold Call", "External Referral", "Newsletter"]
_INDUSTRIES = ["Media", "Public Sector", "Retail", "Healthcare", "Software"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ı", "i").replace("ł", "l"))
    return (
        "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in " -"))
        .replace(" ", "")
        .replace("-", "")
        .lower()
    )


def invent_people(count: int, seed: int) -> list[dict[str, str]]:
    """Return `count` invented people with unique emails on reserved domains."""
    rng = random.Random(seed)
    people: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(people) < count:
        firsts, lasts, roman, country, cities = rng.choice(_LOCALES)
        i, j = rng.randrange(len(firsts)), rng.randrange(len(lasts))
        first, last = firsts[i], lasts[j]
        local_first, local_last = (
            (roman[i % len(roman)][0], roman[j % len(roman)][1]) if roman else (_ascii(first), _ascii(last))
        )
        email = f"{local_first}.{local_last}{rng.randrange(1, 999)}@{rng.choice(_DOMAINS)}"
        if email.casefold() in seen:
            continue
        seen.add(email.casefold())
        people.append(
            {
                "First_Name": first,
                "Last_Name": last,
                "Email": email,
                "Country": country,
                "City": rng.choice(cities),
                "Phone": f"+{rng.choice(['31', '49', '33', '48', '90', '30'])}6{rng.randrange(10_000_000, 99_999_999)}",
                "Date_of_Birth": f"{rng.randrange(1950, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "Company": rng.choice(
                    ["Vries & Leeuwen V.O.F.", "Nordlicht GmbH", "Atelier Lumière", "-", "Example Trading"]
                ),
                "Lead_Source": rng.choice(_SOURCES),
                "Industry": rng.choice(_INDUSTRIES),
                "Email_Opt_Out": rng.choice(["true", "false", "false"]),
            }
        )
    return people


def export_csv(layout: ModuleLayout, people: list[dict[str, str]], id_prefix: str) -> str:
    """Write people as a CRM export of `layout`: `Record Id` then labels, comma, CRLF.

    Ids start with `id_prefix` (`demo-lead-`), so that no real CRM export imported next to the
    demo ever shares an id with an invented person.
    """
    columns = [
        f for f in layout.fields if f.subform is None and f.type not in ("subform", "fileupload", "profileimage")
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Record Id", *(f.label for f in columns)])
    for n, person in enumerate(people):
        writer.writerow([f"{id_prefix}{n + 1:05d}", *(person.get(f.name, "") for f in columns)])
    return out.getvalue()
