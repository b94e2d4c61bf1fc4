"""The resolver's tiers on small hand-made cases (generated people, hand-set model)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from konvergensi.resolve.review import read_queue
from konvergensi.resolve.run import resolve_files
from tests.resolve_cases import OTHER_VILLAGE, key, person, write_batch


def nik(day: int, month: int, year: int, serial: int, female: bool = False) -> str:
    """A structurally valid NIK first registered in Kec. Taebenu."""
    return f"530124{day + 40 * female:02d}{month:02d}{year % 100:02d}{serial:04d}"


def resolve(zones: tuple[Path, Path], batches: dict[tuple[str, str], list[dict]]) -> pd.DataFrame:
    staging, identity = zones
    files = [write_batch(staging, s, p, rows) for (s, p), rows in batches.items()]
    resolve_files(files, identity)
    return pd.read_parquet(identity / "links.parquet").set_index("record_key")


def same(links: pd.DataFrame, a: str, b: str) -> bool:
    return links.loc[a, "person_id"] == links.loc[b, "person_id"]


def test_identical_nik_links_despite_a_name_typo(zones) -> None:
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [person("Yohanes Benu", "1980-03-12", "L", nik(12, 3, 1980, 1))],
            ("b", "2026-07"): [person("Yohanis Benu", "1980-03-12", "L", nik(12, 3, 1980, 1))],
        },
    )
    assert same(links, key("a", "2026-07", 1), key("b", "2026-07", 1))
    assert links.loc[key("a", "2026-07", 1), "match_tier"] == "nik_exact"


def test_shared_nik_with_other_name_and_birth_date_is_held_for_review(zones) -> None:
    shared = nik(12, 3, 1980, 1)
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [person("Yohanes Benu", "1980-03-12", "L", shared)],
            ("b", "2026-07"): [person("Petrus Nubatonis", "1962-11-30", "L", shared)],
        },
    )
    a, b = key("a", "2026-07", 1), key("b", "2026-07", 1)
    assert not same(links, a, b)
    queue = read_queue(zones[1])
    held = queue[(queue["record_key_l"] == a) & (queue["record_key_r"] == b)]
    assert held["reason"].str.contains("NIK shared").all() and len(held) == 1


def test_twins_without_nik_stay_two_people(zones) -> None:
    kk = "5301240101150001"
    links = resolve(
        zones,
        {
            ("p3ke", "2026-Q3"): [
                person("Yohanes Benu", "2010-05-04", "L", kk=kk, family="F1"),
                person("Petrus Benu", "2010-05-04", "L", kk=kk, family="F1"),
            ],
            ("b", "2026-07"): [person("Yohanes Benu", "2010-05-04", "L", kk=kk)],
        },
    )
    twin_a, twin_b = key("p3ke", "2026-Q3", 1), key("p3ke", "2026-Q3", 2)
    assert not same(links, twin_a, twin_b)
    assert same(links, twin_a, key("b", "2026-07", 1))
    assert links.loc[twin_a, "household_id"] == links.loc[twin_b, "household_id"]


def test_twins_with_nik_one_digit_apart_are_not_a_typo(zones) -> None:
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [
                person("Maria Yosina Tefa", "2012-02-09", "P", nik(9, 2, 12, 3, True))
            ],
            ("b", "2026-07"): [person("Maria Tefa", "2012-02-09", "P", nik(9, 2, 12, 4, True))],
        },
    )
    assert not same(links, key("a", "2026-07", 1), key("b", "2026-07", 1))


def test_woman_with_two_clan_names_is_one_person(zones) -> None:
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [
                person("Ibu Maria Benu Tefa", "1975-08-17", "P", nik(17, 8, 1975, 2, True))
            ],
            ("b", "2026-07"): [person("MARIA BENU", "1975-08-17", "P")],
        },
    )
    a, b = key("a", "2026-07", 1), key("b", "2026-07", 1)
    assert same(links, a, b)
    assert links.loc[b, "match_tier"] == "probabilistic"


def test_mononym_links_to_itself_not_to_a_namesake(zones) -> None:
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [person("Yohanes", "1950-07-14", "L", nik(14, 7, 1950, 5))],
            ("b", "2026-07"): [person("YOHANES", "1950-07-14", "L")],
            ("c", "2026-07"): [person("Yohanes Benu", "1988-10-21", "L", nik(21, 10, 1988, 1))],
        },
    )
    a, b, c = (key(s, "2026-07", 1) for s in "abc")
    assert same(links, a, b)
    assert not same(links, b, c)


def test_transposed_nik_links_with_agreeing_person_fields(zones) -> None:
    right = nik(12, 3, 1980, 17)
    swapped = right[:-2] + right[-1] + right[-2]
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [person("Yohanes Benu", "1980-03-12", "L", right)],
            ("a", "2026-08"): [person("Yohanes Benu", "1980-03-12", "L", right)],
            ("b", "2026-07"): [person("Yohanes Benu", "1980-03-12", "L", swapped)],
        },
    )
    a, b = key("a", "2026-07", 1), key("b", "2026-07", 1)
    assert same(links, a, b)
    assert links.loc[b, "match_tier"] == "nik_near"


def test_family_split_across_two_kks_is_one_household(zones) -> None:
    old_kk, new_kk = "5301240101150001", "5301240202240002"
    son = nik(3, 4, 1998, 1)
    links = resolve(
        zones,
        {
            ("p3ke", "2026-Q3"): [
                person("Markus Kase", "1970-01-20", "L", nik(20, 1, 1970, 1), old_kk, family="F9"),
                person("Daniel Kase", "1998-04-03", "L", son, old_kk, family="F9"),
            ],
            ("b", "2026-07"): [person("Daniel Kase", "1998-04-03", "L", son, new_kk)],
            ("b", "2026-08"): [
                person("Sara Kase Selan", "1999-06-11", "P", None, new_kk, village=OTHER_VILLAGE)
            ],
        },
    )
    father = key("p3ke", "2026-Q3", 1)
    wife = key("b", "2026-08", 1)
    assert not same(links, father, wife)
    assert links.loc[father, "household_id"] == links.loc[wife, "household_id"]


def test_a_man_and_a_woman_of_other_names_sharing_a_nik_are_held(zones) -> None:
    """A wife using her husband's NIK, her birth date missing: not one person."""
    shared = nik(12, 3, 1980, 1)
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [person("Yohanes Benu", "1980-03-12", "L", shared)],
            ("b", "2026-07"): [person("Maria Tefa", None, "P", shared)],
        },
    )
    a, b = key("a", "2026-07", 1), key("b", "2026-07", 1)
    assert not same(links, a, b)
    queue = read_queue(zones[1])
    held = queue[(queue["record_key_l"] == a) & (queue["record_key_r"] == b)]
    assert len(held) == 1 and held["reason"].str.contains("NIK shared").all()


def test_twins_of_a_rare_clan_with_other_given_names_go_to_review(zones) -> None:
    """Birth date, sex and village agree and the clan is rare: still not linked on that alone."""
    neighbours = [
        person(f"Orang{chr(65 + i)} Marga{chr(65 + i)}", f"19{50 + i}-01-0{1 + i % 9}", "L")
        for i in range(20)
    ]
    links = resolve(
        zones,
        {
            ("a", "2026-07"): [person("Yohanes Benu", "2010-05-04", "L"), *neighbours],
            ("b", "2026-07"): [person("Markus Benu", "2010-05-04", "L")],
        },
    )
    a, b = key("a", "2026-07", 1), key("b", "2026-07", 1)
    assert not same(links, a, b)
    queue = read_queue(zones[1])
    held = queue[(queue["record_key_l"] == a) & (queue["record_key_r"] == b)]
    assert held["reason"].tolist() == ["only a clan name agrees"]
    assert held["match_probability"].iloc[0] >= 0.9  # the model alone would have linked them
