"""NTT-style names: Christian given names with Timorese clan names, and some Muslim names.

Each village has a few dominant clans, so many neighbours share a surname (weak evidence for
matching); popular given names repeat often; married women may carry two clan names.
"""

from __future__ import annotations

import numpy as np


def _words(text: str) -> list[str]:
    """Name lists are kept as prose to stay readable."""
    return text.split()


MALE_CHRISTIAN = _words(
    "Yohanes Yosef Agustinus Petrus Paulus Marthen Yakobus Dominggus Ferdinandus Fransiskus "
    "Aloysius Antonius Benediktus Markus Matheus Lukas Simon Andreas Stefanus Daniel Samuel "
    "Elias Ishak Abraham Zakarias Herman Alfred Arnoldus Bernadus Kornelis Lambertus Nikolaus "
    "Gabriel Imanuel Yeremias Obed Semuel Yunus Melkias Mikhael Filipus Thomas Hendrik Frederik "
    "Yulius Viktor Robert Yance Ruben Yoel Godlief Frans Adrianus Kristofel Rafael Vinsensius "
    "Ignasius Yustinus Marselus Damianus Kasimirus Seprianus Oktovianus Yeskial Mesakh Lodowik"
)
FEMALE_CHRISTIAN = _words(
    "Maria Fransiska Adriana Yuliana Agustina Martha Magdalena Theresia Katarina Anastasia "
    "Yohana Elisabeth Margaretha Veronika Kristina Paulina Dortea Orpa Rut Ester Debora Naomi "
    "Yakomina Sara Rahel Lidia Selfina Marince Yosina Antonia Florentina Bernadeta Petronela "
    "Yustina Welmince Mariana Helena Susana Sofia Adelina Regina Aplonia Delfina Ferderika "
    "Yublina Lusia Sesilia Marselina Yuliati Mince Ance Nelci Yanti Oktovina Serlin Sarlota"
)
MALE_MUSLIM = _words(
    "Ahmad Ali Hasan Husein Umar Usman Ibrahim Ismail Yusuf Ridwan Syamsudin Khairul Zainal "
    "Hamid Salim Jafar Nasrudin Anwar Syukur Rahmat Hidayat Arifin Baharudin Sulaiman Idris"
)
FEMALE_MUSLIM = _words(
    "Aisyah Fatimah Khadijah Zainab Aminah Halimah Rahmawati Nurhayati Syarifah Maryam Hajar "
    "Salma Jamilah Nurjanah Hasanah Rukayah Saniah Wahyuni Nyimas Sarifah Mariam Rosmini"
)
ABDUL_SUFFIX = _words("Rahman Karim Hamid Gani Kadir Salam Majid Latif Azis Wahab Rasyid Halim")
MUSLIM_FAMILY = _words("Bakar Laduka Kadir Sabon Kiwang Hamzah Abdullah Lamabelawa Ola Syarif")
CLANS = _words(
    "Benu Tefa Nenobais Tanesib Bani Kase Nubatonis Selan Taneo Ba'u Lakapu Manafe Sabuna Tanaem "
    "Nomleni Neonbasu Boimau Oematan Kolo Sanam Lopo Missa Faot Amalo Ndun Pah Tallo Bessie "
    "Laiskodat Nitbani Tlonaen Kause Nakmofa Toh Oenunu Sonbai Nabuasa Pellokila Sooai Radja "
    "Lado Ratu Ndoen Foes Pandie Ataupah Bire Hege Lay Messakh Ninu Ufi Tapatab Nenotek Otu Kiuk "
    "Ma'u Fallo Sae Baun Tabun Nope Lanu Kapitan Bokos Tenis Leo Taek Banunaek Tamonob Liu "
    "Bolla Haning Manu Sinlae Tunliu Bekuliu"
)

LOCAL_CLANS_PER_VILLAGE = 5
LOCAL_CLAN_SHARE = 0.6
SECOND_GIVEN_NAME = 0.35
TWO_CLAN_NAMES = 0.3  # married women carrying their own and their husband's clan
MONONYM_AMONG_OLDER = 0.03  # people aged 50+ registered under one name


def zipf_weights(n: int, exponent: float = 0.9) -> np.ndarray:
    """Probabilities 1/rank^exponent: a few names are very common, most are rare."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def _pick(rng: np.random.Generator, names: list[str], n: int) -> np.ndarray:
    """n names drawn with Zipf-like popularity (object array)."""
    idx = rng.choice(len(names), size=n, p=zipf_weights(len(names)))
    return np.asarray(names, dtype=object)[idx]


def village_clans(rng: np.random.Generator, n_villages: int) -> np.ndarray:
    """The dominant clans of each village: array (villages, LOCAL_CLANS_PER_VILLAGE) of indices."""
    p = zipf_weights(len(CLANS), 0.6)
    return np.stack(
        [
            rng.choice(len(CLANS), LOCAL_CLANS_PER_VILLAGE, replace=False, p=p)
            for _ in range(n_villages)
        ]
    )


def draw_clans(rng: np.random.Generator, village: np.ndarray, local: np.ndarray) -> np.ndarray:
    """A clan name for each draw: usually one of the village's own clans (object array)."""
    n = len(village)
    # Within a village the first local clan dominates, the rest taper off.
    pos = rng.choice(local.shape[1], size=n, p=zipf_weights(local.shape[1], 1.0))
    local_pick = local[village, pos]
    global_pick = rng.choice(len(CLANS), size=n, p=zipf_weights(len(CLANS), 0.6))
    idx = np.where(rng.random(n) < LOCAL_CLAN_SHARE, local_pick, global_pick)
    return np.asarray(CLANS, dtype=object)[idx]


def _given(rng: np.random.Generator, female: np.ndarray, muslim: np.ndarray) -> np.ndarray:
    """One given name per person, by sex and religion."""
    n = len(female)
    out = np.empty(n, dtype=object)
    for is_f, is_m, pool in (
        (False, False, MALE_CHRISTIAN),
        (True, False, FEMALE_CHRISTIAN),
        (False, True, MALE_MUSLIM),
        (True, True, FEMALE_MUSLIM),
    ):
        sel = (female == is_f) & (muslim == is_m)
        out[sel] = _pick(rng, pool, int(sel.sum()))
    return out


def _distinct(rng: np.random.Generator, first: np.ndarray, female, muslim) -> np.ndarray:
    """A second given name that differs from the first (redrawn where they clash)."""
    second = _given(rng, female, muslim)
    for _ in range(5):
        clash = second == first
        if not clash.any():
            break
        second[clash] = _given(rng, female[clash], muslim[clash])
    return second


def _muslim_first(rng: np.random.Generator, female: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Muslim names often start with Muhammad/Abdul (men) or Siti/Nur (women)."""
    n = len(female)
    u = rng.random(n)
    out = given.copy()
    out[~female & (u < 0.30)] = "Muhammad"
    abdul = ~female & (u >= 0.30) & (u < 0.40)
    out[abdul] = (
        "Abdul "
        + np.asarray(ABDUL_SUFFIX, dtype=object)[
            rng.integers(0, len(ABDUL_SUFFIX), int(abdul.sum()))
        ]
    )
    out[female & (u < 0.30)] = "Siti"
    out[female & (u >= 0.30) & (u < 0.40)] = "Nur"
    return out


def full_names(
    rng: np.random.Generator,
    *,
    female: np.ndarray,
    muslim: np.ndarray,
    age: np.ndarray,
    own_clan: np.ndarray,
    married_clan: np.ndarray,
) -> np.ndarray:
    """Title-case full names (object array).

    `own_clan` is the clan a person is born into; `married_clan` is the husband's clan for
    married women (None otherwise) and may be appended as a second clan name.
    """
    n = len(female)
    given = _given(rng, female, muslim)
    second = _distinct(rng, given, female, muslim)
    has_second = rng.random(n) < SECOND_GIVEN_NAME
    first = np.where(muslim, _muslim_first(rng, female, given), given)
    # Muslim names are two given names (Muhammad Ridwan, Siti Aminah), sometimes a family name.
    has_second = np.where(muslim, True, has_second)
    muslim_family = np.asarray(MUSLIM_FAMILY, dtype=object)[rng.integers(0, len(MUSLIM_FAMILY), n)]
    surname = np.where(
        muslim, np.where(rng.random(n) < 0.25, muslim_family, None), own_clan
    ).astype(object)
    two_clans = (
        ~muslim
        & female
        & (married_clan != None)  # noqa: E711 - elementwise comparison on an object array
        & (married_clan != own_clan)
        & (rng.random(n) < TWO_CLAN_NAMES)
    )
    mononym = (age >= 50) & (rng.random(n) < MONONYM_AMONG_OLDER)
    out = np.empty(n, dtype=object)
    for i in range(n):
        if mononym[i]:
            out[i] = first[i]
            continue
        parts = [first[i]]
        if has_second[i]:
            parts.append(second[i])
        if surname[i] is not None:
            parts.append(surname[i])
        if two_clans[i]:
            parts.append(married_clan[i])
        out[i] = " ".join(parts)
    return out
