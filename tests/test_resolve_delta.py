"""An incremental (delta) pass gives the same persons and households as linking the whole
register, on a generated sample with the generator's default noise."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from konvergensi.config import PROJECT_ROOT
from konvergensi.contracts import load_contracts
from konvergensi.resolve import model as person_model
from konvergensi.resolve.blocking import build_candidates
from konvergensi.resolve.features import load_features
from konvergensi.resolve.link import prepare_tiers
from konvergensi.resolve.models_store import PREDICT, current_model, predict_query
from konvergensi.resolve.review import read_queue
from konvergensi.resolve.run import read_links, resolve_files
from konvergensi.resolve.sql import quiet_connection
from konvergensi.resolve.state import STATE
from konvergensi.staging_zone import current_batches
from konvergensi.synthetic import generate

PERIODS = ["2026-07", "2026-08", "2026-09", "2026-Q3"]
NEW = "period=2026-09"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Accepted files of a noisy 6,000-row sample, ingested through the pipeline functions."""
    from konvergensi import pipeline

    root = tmp_path_factory.mktemp("delta-sample")
    contracts = load_contracts(PROJECT_ROOT / "contracts")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KONVERGENSI_DATA_ROOT", str(root))
        summary = generate(root / "landing", root / "truth", contracts, rows=6000, periods=PERIODS)
        for source, periods in sorted(summary.rows.items()):
            for period in sorted(periods):
                delivery = pipeline.archive_period(source, period)
                staged = pipeline.stage(source, delivery)
                pipeline.validate(source, period, staged["batch_id"])
    return [
        str(path)
        for c in contracts
        for path in current_batches(root / "staging", c.source).values()
    ]


def _links(identity: Path) -> pd.DataFrame:
    return pd.read_parquet(identity / "links.parquet").set_index("record_key").sort_index()


def _partition(ids: pd.Series) -> set[frozenset[str]]:
    return {frozenset(group.index) for _, group in ids.groupby(ids)}


def test_delta_pass_equals_whole_register_pass(staged: list[str], tmp_path: Path) -> None:
    base = [f for f in staged if NEW not in f]
    delta_root, whole_root = tmp_path / "delta", tmp_path / "whole"
    assert resolve_files(base, delta_root)["mode"] == "full"
    before = _links(delta_root)
    shutil.copytree(delta_root, whole_root)
    (whole_root / STATE).unlink()  # no state: the run links the whole register

    by_delta = resolve_files(staged, delta_root)
    by_whole = resolve_files(staged, whole_root)

    assert by_delta["mode"] == by_whole["mode"] == "incremental"
    assert by_delta["new_records"] == by_whole["new_records"] > 0
    assert 0 < by_delta["scope_records"] < by_delta["records"]
    assert "scope_records" not in by_whole
    delta_links, whole_links = _links(delta_root), _links(whole_root)
    assert delta_links.index.equals(whole_links.index)
    for column in ("person_id", "household_id"):
        assert (delta_links[column] == whole_links[column]).all(), column
        assert _partition(delta_links[column]) == _partition(whole_links[column])
    # the same pairs wait for clerical review
    queues = [
        read_queue(root)[["record_key_l", "record_key_r", "reason"]]
        for root in (delta_root, whole_root)
    ]
    assert len(queues[0]) and queues[0].equals(queues[1])
    # a person untouched by the new records keeps their ID; changes are recorded merges
    changed = before.index[before["person_id"] != delta_links.loc[before.index, "person_id"]]
    assert by_delta["events"].get("person/merge", 0) >= len(set(before.loc[changed, "person_id"]))
    # the register stays in rid order, so links.parquet is published in it without a sort
    state = duckdb.connect(str(delta_root / STATE), read_only=True)
    by_rid = state.execute("select record_key from records order by rid").fetchnumpy()
    state.close()
    published = pd.read_parquet(delta_root / "links.parquet", columns=["record_key"])
    assert published["record_key"].tolist() == by_rid["record_key"].tolist()


def test_a_rerun_with_nothing_new_changes_nothing(staged: list[str], tmp_path: Path) -> None:
    identity = tmp_path / "identity"
    resolve_files(staged, identity)
    first = _links(identity)
    again = resolve_files(staged, identity)
    assert again["mode"] == "incremental" and again["new_records"] == 0
    assert _links(identity).equals(first)


def test_settled_records_and_a_kk_that_joins_two_households(tmp_path: Path) -> None:
    """A returning person's record is settled by NIK, unless its KK leads to another household."""
    from tests.resolve_cases import install_model, key, person, write_batch
    from tests.test_resolve_tiers import nik

    staging, identity = tmp_path / "staging", tmp_path / "identity"
    install_model(identity)
    old_kk, new_kk = "5301240101150001", "5301240202240002"
    father, son = nik(20, 1, 1970, 1), nik(3, 4, 1998, 1)
    files = [
        write_batch(
            staging,
            "p3ke",
            "2026-Q3",
            [
                person("Markus Kase", "1970-01-20", "L", father, old_kk),
                person("Daniel Kase", "1998-04-03", "L", son, old_kk),
                person("Sara Selan", "1999-06-11", "P", nik(11, 6, 1999, 2, True), new_kk),
            ],
        )
    ]
    assert resolve_files(files, identity)["mode"] == "full"
    before = _links(identity)
    assert (
        before.loc[key("p3ke", "2026-Q3", 1), "household_id"]
        != (before.loc[key("p3ke", "2026-Q3", 3), "household_id"])
    )
    files.append(
        write_batch(
            staging,
            "b",
            "2026-07",
            [
                person("Markus Kase", "1970-01-20", "L", father, old_kk),  # settles
                person("Daniel Kase", "1998-04-03", "L", son, new_kk),  # moved to Sara's KK
            ],
        )
    )
    whole = tmp_path / "whole"
    shutil.copytree(identity, whole)
    (whole / STATE).unlink()

    summary = resolve_files(files, identity)
    assert summary["settled_by_nik"] == 1 and summary["new_records"] == 2
    links = _links(identity)
    assert (
        links.loc[key("b", "2026-07", 1), "person_id"]
        == before.loc[key("p3ke", "2026-Q3", 1), "person_id"]
    )
    assert links.loc[key("b", "2026-07", 1), "match_tier"] == "nik_exact"
    # Daniel's new KK joins his household with Sara's: one household, under one ID
    assert (
        links.loc[key("p3ke", "2026-Q3", 1), "household_id"]
        == (links.loc[key("p3ke", "2026-Q3", 3), "household_id"])
    )
    resolve_files(files, whole)
    assert links[["person_id", "household_id"]].equals(_links(whole)[["person_id", "household_id"]])

    # a run whose only new record settles links no scope at all
    files.append(
        write_batch(
            staging, "c", "2026-08", [person("Markus Kase", "1970-01-20", "L", father, old_kk)]
        )
    )
    again = resolve_files(files, identity)
    assert (again["settled_by_nik"], again["scope_records"], again["new_records"]) == (1, 0, 1)
    after = _links(identity)
    assert (
        after.loc[key("c", "2026-08", 1), "person_id"]
        == links.loc[key("b", "2026-07", 1), "person_id"]
    )
    assert after.loc[links.index, "person_id"].equals(links["person_id"])


def test_an_anchor_that_a_pass_also_links_keeps_the_tier_of_its_settled_record(
    tmp_path: Path,
) -> None:
    """Tier 1 is the strongest tier: the pass's own link to the anchor does not replace it."""
    from tests.resolve_cases import install_model, key, person, write_batch
    from tests.test_resolve_tiers import nik

    staging, identity = tmp_path / "staging", tmp_path / "identity"
    install_model(identity)
    shared = nik(12, 3, 1980, 1)
    files = [
        write_batch(staging, "a", "2026-07", [person("Yohanes Benu", "1980-03-12", "L", shared)])
    ]
    resolve_files(files, identity)
    anchor = key("a", "2026-07", 1)
    assert _links(identity).loc[anchor, "match_tier"] == "singleton"
    # the NIK alone joins this one (day and month swapped, another kecamatan): it settles
    returning = person("Yohanes Benu", "1980-12-03", "L", shared, village="53.01.25.2001")
    files.append(write_batch(staging, "b", "2026-07", [returning]))
    # no NIK: the probabilistic tier links this one to the anchor
    files.append(write_batch(staging, "c", "2026-07", [person("Yohanes Benu", "1980-03-12", "L")]))
    summary = resolve_files(files, identity)
    links = _links(identity)
    assert summary["settled_by_nik"] == 1
    assert links.loc[key("b", "2026-07", 1), "person_id"] == links.loc[anchor, "person_id"]
    assert links.loc[key("c", "2026-07", 1), "person_id"] == links.loc[anchor, "person_id"]
    assert links.loc[key("c", "2026-07", 1), "match_tier"] == "probabilistic"
    assert links.loc[anchor, "match_tier"] == "nik_exact"


def test_settled_records_do_not_vote_for_their_household_id(tmp_path: Path) -> None:
    """A merge of two equal households keeps the smaller ID, as a whole pass would: a settled
    record (new, so without a previous ID) adds no weight to its household's claim."""
    from tests.resolve_cases import install_model, key, person, write_batch
    from tests.test_resolve_tiers import nik

    staging, identity = tmp_path / "staging", tmp_path / "identity"
    install_model(identity)
    kk_a, kk_b = "5301240101150001", "5301240202240002"
    first = {
        "a": person("Markus Kase", "1970-01-20", "L", nik(20, 1, 1970, 1), kk_a),
        "b": person("Sara Selan", "1985-06-11", "P", nik(11, 6, 1985, 2, True), kk_b, family="F1"),
    }
    files = [write_batch(staging, "a", "2026-07", list(first.values()))]
    resolve_files(files, identity)
    households = _links(identity)["household_id"]
    ids = {"a": households[key("a", "2026-07", 1)], "b": households[key("a", "2026-07", 2)]}
    assert ids["a"] != ids["b"]
    larger = max(ids, key=ids.get)
    files.append(write_batch(staging, "b", "2026-08", [first[larger]]))  # settles there
    # a new person whose KK is Markus's and whose family is Sara's joins the two households
    newcomer = person("Yakobus Nope", "2001-02-03", "L", nik(3, 2, 2001, 3), kk_a, family="F1")
    files.append(write_batch(staging, "a", "2026-08", [newcomer]))

    summary = resolve_files(files, identity)
    assert summary["settled_by_nik"] == 1
    merged = set(_links(identity)["household_id"])
    assert merged == {min(ids.values())}


def test_a_held_nik_queues_the_same_pairs_in_both_passes(tmp_path: Path) -> None:
    """Review pairs of a NIK held as a conflict are built around its first record by key, so a
    delta pass (which numbers records in arrival order) queues what a whole pass queues."""
    from tests.resolve_cases import install_model, key, person, write_batch
    from tests.test_resolve_tiers import nik

    staging, identity = tmp_path / "staging", tmp_path / "identity"
    install_model(identity)
    shared = nik(12, 3, 1980, 1)
    rows = [
        person("Yohanes Benu", "1980-03-12", "L", shared),
        person("Maria Tefa", "1992-07-01", "P", shared, village="53.01.25.2001"),
    ]
    files = [write_batch(staging, "b", "2026-07", rows)]
    resolve_files(files, identity)
    # a later record of that NIK whose key sorts before the first two
    files.append(
        write_batch(staging, "a", "2026-08", [person("Yohanes Benu", "1980-03-12", "L", shared)])
    )
    whole = tmp_path / "whole"
    shutil.copytree(identity, whole)
    (whole / STATE).unlink()
    assert resolve_files(files, identity)["scope_records"] == 3
    resolve_files(files, whole)
    pairs = [
        set(zip(q["record_key_l"], q["record_key_r"], strict=True))
        for q in (read_queue(identity), read_queue(whole))
    ]
    assert (key("a", "2026-08", 1), key("b", "2026-07", 2)) in pairs[1]
    assert pairs[0] == pairs[1]


def test_the_compiled_model_scores_as_splink_predicts(staged: list[str], tmp_path: Path) -> None:
    """A run scores with the model's compiled query (predict.sql): splink's own predictions."""
    from splink import DuckDBAPI, Linker

    identity = tmp_path / "identity"
    resolve_files(staged, identity)
    version, model = current_model(identity)
    assert (identity / "models" / version / PREDICT).exists()  # compiled when trained
    con = quiet_connection()
    load_features(con, staged, read_links(identity).iloc[:0], False)
    prepare_tiers(con, set())
    build_candidates(con)
    person_model.score(con, predict_query(identity, version, model), "candidates")
    ours = con.execute("select * from scored order by rid_l, rid_r").df()

    db_api = DuckDBAPI(con.cursor())
    records = db_api.register("features", table_name="splink_records")
    linker = Linker(records, model)
    con.execute(
        "create table splink_tf as select name_match, count(*) / sum(count(*)) over () "
        "as tf_name_match from features where name_match is not null group by name_match"
    )
    tf = db_api.register("splink_tf", table_name="splink_tf_lookup")
    linker.table_management.register_term_frequency_lookup(tf, "name_match")
    con.execute(
        "create table splink_blocked as select '0' as match_key, rid_l as join_key_l, "
        "rid_r as join_key_r from candidates"
    )
    blocked = db_api.register("splink_blocked", table_name="splink_blocked_pairs")
    linker.table_management.register_blocked_pairs_for_predict(blocked)
    predicted = linker.inference.predict().physical_name
    columns = ", ".join(ours.columns.drop("gamma_name"))
    splink = con.execute(f"select {columns} from {predicted} order by rid_l, rid_r").df()

    assert len(ours) > 1000 and ours["match_probability"].between(0.9, 1).any()
    pd.testing.assert_frame_equal(
        ours.drop(columns="gamma_name"), splink, check_exact=False, rtol=1e-12
    )
    # the name level kept for names_differ: one level per distinct name weight
    levels = ours.groupby("gamma_name")["mw_name"].nunique()
    assert levels.index.min() >= -1 and (levels == 1).all() and len(levels) >= 5
