"""Pollastri et al. 2020's ensemble across CDNN variants (section 5.2): the mean lesion probability of the
selected networks (CDNN0-3, CDNN5, CDNN6: all but CDNN4), then the dual threshold (0.8, the biggest object's
centre, 0.4).

Each variant ran its own segmentation protocol (``protocol/<variant>/``) on the same test images, at its own
image size; repeat r of an arm is ensembled from the repeat-r runs of that arm in every selected variant, their
saved probabilities resized to the first variant's size (bilinear) and scored against its test masks. Nothing
is retrained, so the ensembles are recomputed from the runs' files on every call.
"""

from pathlib import Path

import numpy as np

from tfskin.evaluation.jsonio import write_json

FOLDER = "ensemble_variants"


def _resize(probs: np.ndarray, size) -> np.ndarray:
    """(N, h, w) probabilities at (N, H, W), bilinear."""
    if tuple(probs.shape[1:3]) == tuple(size):
        return probs
    import tensorflow as tf

    return tf.image.resize(probs[..., np.newaxis], tuple(size), method="bilinear").numpy()[..., 0]


def _truth(cfg, split: str, repeat: int) -> np.ndarray:
    from tfskin.evaluation.protocol import data_of
    from tfskin.evaluation.real_data import load_arrays
    from tfskin.evaluation.seg_protocol import truth_masks

    data = data_of(cfg, repeat)
    size = tuple(data["image_size"])
    if split == "test":
        arrays = load_arrays(data["name"], data.get("test_split", "test"), size, num_examples=data.get("test_size"),
                             seed=data.get("seed", 0), features=("image", "mask"))
    else:
        ood = data["ood_test"]
        arrays = load_arrays(ood["name"], ood.get("split", "test"), size, num_examples=ood.get("size"),
                             seed=ood.get("seed", data.get("seed", 0)), features=("image", "mask"))
    return truth_masks(arrays["mask"])


def ensemble_repeat(protocols: list, arm: str, repeat: int) -> dict:
    """The ensemble of ``arm``'s repeat-``repeat`` runs over ``protocols`` [(variant, cfg, protocol folder)]:
    scores per test split (None when a member run has not finished)."""
    from tfskin.evaluation.results import RESULT_FILE, run_dir_of
    from tfskin.evaluation.seg_protocol import PROBS_FILE, scores
    from tfskin.evaluation.seg_report import eval_splits
    from tfskin.evaluation.segmenter import dual_threshold

    run_dirs = [run_dir_of(folder, arm, repeat) for _, _, folder in protocols]
    if not all((d / RESULT_FILE).is_file() for d in run_dirs):
        return None
    ref_cfg = protocols[0][1]
    size = tuple(ref_cfg["data"]["image_size"])
    result = {"condition": arm, "repeat": repeat, "members": [v for v, _, _ in protocols],
              "post_processing": "mean probability over the variants, dual threshold 0.8 / 0.4 "
                                 "(Pollastri et al. 2020, section 5.2)"}
    for split in eval_splits(ref_cfg):
        probs = [_resize(np.load(d / PROBS_FILE.format(split=split)).astype(np.float32), size) for d in run_dirs]
        mean = np.mean(probs, axis=0)
        masks = np.stack([dual_threshold(p) for p in mean]) if len(mean) else mean > 0
        result[split] = scores(_truth(ref_cfg, split, repeat), masks[..., np.newaxis].astype(np.float32))
    return result


def run_variant_ensembles(protocols: list, arms: list, repeats: int, out_dir) -> dict:
    """Every arm's cross-variant ensemble for every repeat, written to ``out_dir/<arm>/rep<r>/result.json``;
    returns {arm: {split: {score: [one value per repeat, None where missing]}}}."""
    out = {}
    for arm in arms:
        per_split = {}
        for repeat in range(int(repeats)):
            result = ensemble_repeat(protocols, arm, repeat)
            if result is not None:
                write_json(Path(out_dir) / arm / f"rep{repeat}" / "result.json", result)
            for split in ("test", "ood"):
                if result is not None and split not in result:
                    continue
                scores = (result or {}).get(split) or {}
                entry = per_split.setdefault(split, {})
                for key in ("jaccard", "thresholded_jaccard"):
                    entry.setdefault(key, []).append(scores.get(key))
        out[arm] = {split: entry for split, entry in per_split.items() if any(v is not None for v in entry["jaccard"])}
    return out


def compare_with(values: dict, reference: str, split: str = "test", score: str = "jaccard") -> dict:
    """Each arm's ensemble against ``reference``'s, paired by repeat, Holm across the arms:
    {arm: {summary, test (None for the reference), p_holm}}."""
    from tfskin.evaluation.stats import holm, paired_tests, summarize

    rows = {}
    ref = values.get(reference, {}).get(split, {}).get(score, [])
    for arm, by_split in values.items():
        vals = by_split.get(split, {}).get(score, [])
        rows[arm] = {"summary": summarize(vals), "values": vals,
                     "test": None if arm == reference else paired_tests(vals, ref)}
    tested = [a for a in rows if rows[a]["test"] is not None]
    for arm, p in zip(tested, holm([rows[a]["test"]["t_pvalue"] for a in tested], count_untested=True),
                      strict=True):
        rows[arm]["p_holm"] = p
    return rows
