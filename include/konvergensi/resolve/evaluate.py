"""Accuracy of a clustering against ground truth: pairwise precision/recall/F1 and B-cubed."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def cluster_metrics(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise and B-cubed scores of predicted cluster labels against true labels."""
    frame = pd.DataFrame({"p": pd.factorize(predicted)[0], "t": pd.factorize(truth)[0]})
    both = frame.groupby(["p", "t"]).size().to_numpy()
    pred = frame.groupby("p").size()
    true = frame.groupby("t").size()
    tp, pp, tt = _pairs(both), _pairs(pred.to_numpy()), _pairs(true.to_numpy())
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cell = frame.groupby(["p", "t"])["p"].transform("size").to_numpy()
    p_size = frame["p"].map(pred).to_numpy()
    t_size = frame["t"].map(true).to_numpy()
    return {
        "records": len(frame),
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": f1,
        "bcubed_precision": float(np.mean(cell / p_size)),
        "bcubed_recall": float(np.mean(cell / t_size)),
        "true_pairs": tt,
        "predicted_pairs": pp,
        "correct_pairs": tp,
    }


def truth_labels(records: pd.DataFrame, source_rows: pd.DataFrame) -> np.ndarray:
    """True person per record, matched on (source, period, source_record_id)."""
    truth = source_rows.drop_duplicates(["source", "period", "source_record_id"])
    merged = records[["_source", "_period", "source_record_id"]].merge(
        truth,
        left_on=["_source", "_period", "source_record_id"],
        right_on=["source", "period", "source_record_id"],
        how="left",
    )
    if merged["person_id"].isna().any():
        raise ValueError("some records have no ground truth row")
    return merged["person_id"].to_numpy()
