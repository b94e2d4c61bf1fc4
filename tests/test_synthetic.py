"""The sample generator: reproducible, structurally valid, noisy at the configured rates, and
with ground truth for every written row. Generated data only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from konvergensi.contracts import Contract, load_contracts
from konvergensi.synthetic import generate, periods_for_quarter, split_periods, split_rows
from konvergensi.synthetic.noise import NIK_NOISES, resolve_rates

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"
ROWS = 20_000


@pytest.fixture(scope="module")
def contracts() -> list[Contract]:
    return load_contracts(CONTRACTS_DIR)


@pytest.fixture(scope="module")
def sample(tmp_path_factory, contracts):
    root = tmp_path_factory.mktemp("sample")
    summary = generate(root / "landing", root / "truth", contracts, rows=ROWS, seed=7)
    return root, summary


def _truth(root: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_parquet(root / "truth" / f"{name}.parquet")
        for name in ("source_rows", "people", "households")
    }


def read_back(contract: Contract, path: Path) -> pd.DataFrame:
    """Read a generated file the way the pipeline must: everything as text."""
    fmt = contract.format
    if fmt.type == "csv":
        return pd.read_csv(
            path,
            sep=fmt.delimiter,
            dtype=str,
            encoding=contract.synthetic.delivered_encoding,
            skiprows=fmt.header_row - 1,
            keep_default_na=False,
            na_values=[""],
        )
    if fmt.type == "xlsx":
        return pd.read_excel(
            path, engine="calamine", header=fmt.header_row - 1, dtype=str, sheet_name=fmt.sheet or 0
        )
    text = path.read_text(encoding=contract.synthetic.delivered_encoding)
    records = json.loads(text) if fmt.type == "json" else [json.loads(x) for x in text.splitlines()]
    return pd.DataFrame.from_records(records).astype(object)


def _files(root: Path, contracts: list[Contract]):
    by_source = {c.source: c for c in contracts}
    for path in sorted((root / "landing").rglob("*.*")):
        yield by_source[path.parent.name], path


# -- independent NIK decoder ---------------------------------------------------------------


def decode_nik(nik: str) -> tuple[str, str, int, int, int]:
    """(kecamatan prefix PPRRKK, sex, day, month, two-digit year) of a structurally valid NIK."""
    assert len(nik) == 16 and nik.isdigit(), "NIK must be 16 digits"
    day = int(nik[6:8])
    assert 1 <= day <= 31 or 41 <= day <= 71, "NIK day out of range"
    sex = "P" if day > 40 else "L"
    month = int(nik[8:10])
    assert 1 <= month <= 12, "NIK month out of range"
    assert nik[12:] != "0000", "NIK serial starts at 0001"
    return nik[:6], sex, day - 40 if sex == "P" else day, month, int(nik[10:12])


# -- tests ---------------------------------------------------------------------------------


def test_periods_helpers():
    assert periods_for_quarter("2026-Q3") == {
        "monthly": ["2026-07", "2026-08", "2026-09"],
        "quarterly": ["2026-Q3"],
    }
    assert split_periods(["2026-Q4"])["monthly"] == ["2026-10", "2026-11", "2026-12"]
    assert split_rows(10, [1, 1, 1]) == [4, 3, 3]


def test_same_seed_same_bytes(tmp_path, contracts):
    small = [c for c in contracts if c.source in {"atr_bpn", "kemenkop_ukm", "kemendes_bltdd"}]
    for name in ("a", "b"):
        generate(tmp_path / name / "landing", tmp_path / name / "truth", small, rows=3_000, seed=3)
    generate(tmp_path / "c" / "landing", tmp_path / "c" / "truth", small, rows=3_000, seed=4)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert any(f.suffix == ".xlsx" for f in files)
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert any(
        (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes() for f in files
    )


def test_row_counts_follow_weights_and_periods(sample, contracts):
    _, summary = sample
    by_source = {c.source: c for c in contracts}
    assert set(summary.rows) == set(by_source)
    for source, per_period in summary.rows.items():
        cadence = by_source[source].cadence
        assert set(per_period) == set(summary.periods[cadence])
    interventions = sum(
        n
        for s, per in summary.rows.items()
        if by_source[s].role == "intervention"
        for n in per.values()
    )
    weights = {c.source: c.synthetic.weight for c in contracts}
    expected = round(ROWS * (1 - weights["p3ke"] / sum(weights.values())))
    assert abs(interventions - expected) <= 1  # exact split for interventions
    assert abs(summary.total_rows - ROWS) / ROWS < 0.02  # the register follows whole families


def test_truth_covers_every_written_row_once(sample, contracts):
    root, summary = sample
    truth = _truth(root)["source_rows"]
    seen = 0
    for contract, path in _files(root, contracts):
        df = read_back(contract, path)
        rows = truth[truth.file_name == path.name].sort_values("row_number")
        assert len(rows) == len(df), path.name
        assert rows.row_number.tolist() == list(range(1, len(df) + 1))
        id_column = contract.columns["source_record_id"]
        assert df[id_column].tolist() == rows.source_record_id.tolist()
        duplicated = rows.noise.str.contains("duplicate_row")
        assert not rows.source_record_id[~duplicated].duplicated().any()
        seen += len(df)
    assert seen == len(truth) == summary.total_rows
    assert len(summary.files) == len(list((root / "landing").rglob("*.*")))


def test_niks_valid_where_no_nik_noise(sample, contracts):
    root, _ = sample
    t = _truth(root)
    people = t["people"].set_index("person_id")
    regency_prefixes = {c.replace(".", "") for c in people.kecamatan_code.unique()}
    checked = 0
    for contract, path in _files(root, contracts):
        df = read_back(contract, path)
        rows = t["source_rows"][t["source_rows"].file_name == path.name].sort_values("row_number")
        clean = ~rows.noise.str.contains("nik_").to_numpy()
        niks = df[contract.columns["nik"]].to_numpy()[clean]
        who = people.loc[rows.person_id.to_numpy()[clean]]
        for nik, (_, person) in zip(niks, who.iterrows(), strict=True):
            if pd.isna(nik):
                assert pd.isna(person.nik)
                continue
            assert nik == person.nik
            prefix, sex, day, month, yy = decode_nik(nik)
            first = person.first_kecamatan_code.replace(".", "")
            assert prefix in regency_prefixes or prefix == first
            assert sex == person.sex
            assert (day, month, yy) == (
                person.birth_date.day,
                person.birth_date.month,
                person.birth_date.year % 100,
            )
            checked += 1
            if checked > 3000:  # enough structure checks; keeps the test fast
                break
    assert checked > 1000
    assert people.nik.dropna().is_unique
    households = t["households"]
    assert not households.kk.isin(people.nik.dropna()).any()


def test_noise_rates_match_configuration(sample, contracts):
    root, _ = sample
    t = _truth(root)
    rows = t["source_rows"]
    people = t["people"].set_index("person_id")
    rates = resolve_rates(None, None, 1.0)
    has_nik = people.nik.notna().reindex(rows.person_id).to_numpy()
    n = len(rows)
    for tag, eligible in (
        ("name_typo", np.ones(n, bool)),
        ("title", np.ones(n, bool)),
        ("duplicate_row", np.ones(n, bool)),
        ("village_code_format", np.ones(n, bool)),
        ("nik_missing", has_nik),
        ("nik_typo", has_nik),
        ("nik_excel", has_nik),
    ):
        hits = rows.noise.str.split(",").apply(lambda tags, tag=tag: tag in tags).to_numpy()
        if tag != "duplicate_row":  # second copies repeat their original's noise
            keep = ~rows.noise.str.contains("duplicate_row").to_numpy()
            hits, eligible = hits[keep], eligible[keep]
        observed = hits[eligible].mean()
        sd = np.sqrt(rates[tag] * (1 - rates[tag]) / eligible.sum())
        assert abs(observed - rates[tag]) < 5 * sd + 0.002, (tag, observed, rates[tag])


def test_noise_overrides_and_scale(tmp_path, contracts):
    ukm = next(c for c in contracts if c.source == "kemenkop_ukm")
    custom = ukm.model_copy(
        update={"synthetic": ukm.synthetic.model_copy(update={"noise": {"old_spelling": 0.5}})}
    )
    generate(
        tmp_path / "landing", tmp_path / "truth", [custom], rows=6_000, noise={"name_typo": 0.2}
    )
    rows = pd.read_parquet(tmp_path / "truth" / "source_rows.parquet")
    assert 0.17 < rows.noise.str.contains("name_typo").mean() < 0.23
    assert rows.noise.str.contains("old_spelling").mean() > 0.35
    assert resolve_rates(None, None, 2.0)["name_typo"] == pytest.approx(0.06)
    with pytest.raises(ValueError, match="unknown noise"):
        resolve_rates({"nik_gone": 0.1}, None, 1.0)
    assert sum(resolve_rates({k: 0.5 for k in NIK_NOISES}, None, 1.0)[k] for k in NIK_NOISES) <= 1


def test_noise_scale_zero_is_clean(tmp_path, contracts):
    summary = generate(
        tmp_path / "landing", tmp_path / "truth", contracts, rows=4_000, noise_scale=0
    )
    t = _truth(tmp_path)
    assert (t["source_rows"].noise == "").all()
    people = t["people"].set_index("person_id")
    for contract, path in _files(tmp_path, contracts):
        df = read_back(contract, path)
        rows = t["source_rows"][t["source_rows"].file_name == path.name].sort_values("row_number")
        who = people.loc[rows.person_id]
        names = df[contract.columns["full_name"]].str.upper().to_numpy()
        assert (names == who.full_name.str.upper().to_numpy()).all()
        niks = df[contract.columns["nik"]].to_numpy()
        expected = who.nik.to_numpy()
        assert all(
            (pd.isna(a) and pd.isna(b)) or a == b for a, b in zip(niks, expected, strict=True)
        )
        assert not df[contract.columns["source_record_id"]].duplicated().any()
    assert summary.total_rows == len(t["source_rows"])


def test_people_appear_in_several_sources(sample):
    root, _ = sample
    rows = _truth(root)["source_rows"]
    interventions = rows[rows.source != "p3ke"]
    per_person = interventions.groupby("person_id").source.nunique()
    assert (per_person >= 2).mean() > 0.2
    assert per_person.max() >= 4
    monthly = rows[rows.source == "kemendes_bltdd"]
    july, august = (set(monthly[monthly.period == p].person_id) for p in ("2026-07", "2026-08"))
    assert len(july & august) / len(july) > 0.85  # a monthly source pays mostly the same people


def test_register_is_poor_families_including_people_without_nik(sample):
    root, _ = sample
    t = _truth(root)
    rows = t["source_rows"]
    register = rows[rows.source == "p3ke"].drop_duplicates("person_id")
    people = t["people"].set_index("person_id")
    assert people.loc[register.person_id].nik.isna().sum() > 0
    households = t["households"].set_index("household_id")
    listed = households[households.in_register]
    assert listed.welfare_decile.le(4).all()
    assert 0.2 < listed.extreme_poor.mean() < 0.35
    # every member of a listed family is listed
    assert set(register.person_id) == set(
        people.index[people.household_id.isin(listed.index).to_numpy()]
    )
    deciles = households.welfare_decile
    assert 0.35 < deciles.le(4).mean() < 0.45


def test_native_shapes(sample, contracts):
    root, _ = sample
    by_source = {c.source: c for c in contracts}
    ukm = read_back(by_source["kemenkop_ukm"], next((root / "landing/kemenkop_ukm").glob("*.csv")))
    codes = ukm["kode_wilayah"].dropna()
    assert codes.str.fullmatch(r"53\d{8}").mean() > 0.97  # plain style, some noise
    birth = ukm["tempat_tgl_lahir"].dropna()
    assert birth.str.fullmatch(r"[A-Z' .\-]+, \d{2}-\d{2}-\d{4}").mean() > 0.95
    pelatihan = next((root / "landing/kemnaker_pelatihan").glob("*.csv")).read_bytes()
    assert pelatihan.startswith(b"\xef\xbb\xbf")
    erdkk = next((root / "landing/kementan_erdkk").glob("*.csv")).read_bytes()
    erdkk.decode("cp1252")
    atr = by_source["atr_bpn"]
    path = next((root / "landing/atr_bpn").glob("*.xlsx"))
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Penerima"]
    values = list(wb["Penerima"].iter_rows(values_only=True))
    assert str(values[0][0]).startswith("DAFTAR PENERIMA")
    header = list(values[atr.format.header_row - 1])
    assert header == list(atr.columns.values())
    nik_col, id_col = header.index("NIK"), header.index("NO SERTIPIKAT")
    data = values[atr.format.header_row :]
    assert all(isinstance(r[id_col], str) for r in data)
    types = {type(r[nik_col]).__name__ for r in data}
    assert "str" in types and types <= {"str", "float", "int", "NoneType"}
    bltdd = json.loads(next((root / "landing/kemendes_bltdd").glob("*.json")).read_text())
    assert all(isinstance(r["nik"], str | None) and isinstance(r["no_kk"], str) for r in bltdd)
    assert {r["jk"] for r in bltdd} >= {"1", "2"}
