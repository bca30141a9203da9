"""No-op baselines for the quality figures a run prints and logs, so a score can be told from doing nothing.

The runner's quality figure is the colour distance (``tfskin.color_stats``) of the fixed preview outputs to a
reference batch of real images. :func:`quality_baselines` scores, with the same code and the same number of
images, what a model that learned nothing would be measured against:

* ``real_held_out``: real images outside the reference batch (what real images score at this count: on 32
  images its distance from zero is sampling noise, which any gap between the other figures must exceed);
* ``mean_colour``: every pixel the reference batch's mean colour (an output that learned only the average);
* ``untranslated_inputs`` (translation models, CycleGAN): the preview's inputs as they are, untranslated;
* ``label_map_mean_colours`` (pix2pixHD): each label region of the preview's label maps painted with that
  label's mean colour in the reference examples (an output that learned only the colour of each label).

Beside the colour figure, the preview outputs' sample diversity (``tfskin.diversity``: mean pairwise and
nearest-neighbour distance of 16 x 16 pixel features) is measured at every sample step, beside the same figures
for the reference batch's first images and for held-out real images (same count): a collapsed generator (one
image for every input) is far below them even where its colours match.

Where a class is the point, the share of images a classifier assigns to the target class is measured for the
outputs (at every sample step), for the inputs and for real images of that class. The classifier is the run's
own: CycleGAN's Path-Rank-Filter classifier (``filter_classifier``), scored on the unfiltered real images of
domain B. Other runs hold no classifier; ``class_share`` then says why there is none.
"""

import numpy as np

from tfskin.color_stats import colour_distances
from tfskin.diversity import FIGURES, diversity_ratio, sample_diversity
from tfskin.imaging import to_uint8

COLOUR_BINS = 32  # as the sample-grid curve (``callbacks.SampleGrid``)
DESCRIPTIONS = {
    "real_held_out": "real images outside the reference batch",
    "mean_colour": "every pixel the real mean colour",
    "untranslated_inputs": "the inputs, untranslated",
    "label_map_mean_colours": "each label region painted its real mean colour",
}
DIVERSITY_DESCRIPTIONS = {
    "real_reference": "real images (the reference batch's first)",
    "real_held_out": "real images outside the reference batch",
}


class QualityBaselines:
    """The baselines of one run (see the module docstring): ``colour`` (name -> colour distances),
    ``class_share`` (dict, or None with ``no_class_share`` saying why), ``diversity`` (name -> the real sets'
    sample diversity) and ``output_scores(outputs)``."""

    def __init__(self, colour: dict, class_share: dict = None, scorer=None, no_class_share: str = None,
                 count: int = 0, diversity: dict = None):
        self.colour = colour
        self.class_share = class_share
        self.scorer = scorer
        self.no_class_share = no_class_share
        self.count = count
        self.diversity = diversity or {}

    def output_scores(self, outputs) -> dict:
        """Scores of the preview outputs at one step beside the fixed baselines: their sample diversity (and
        its ratio to the real reference's, when the counts match) and the target-class share."""
        scores = {}
        if len(outputs["image"]) >= 2:
            diversity = sample_diversity(outputs["image"])
            scores.update({f"diversity_{name}": diversity[name] for name in FIGURES})
            real = self.diversity.get("real_reference")
            if real and real["count"] == diversity["count"]:
                scores.update({f"diversity_ratio_{name}": value
                               for name, value in diversity_ratio(diversity, real).items()})
        if self.scorer is not None:
            share, mean = _class_scores(self.scorer, outputs["image"])
            scores.update({"class_share": share, "class_probability": mean})
        return scores

    def scalars(self) -> dict:
        """TensorBoard tag (under ``quality/``) -> value of every fixed baseline."""
        out = {}
        for name, d in self.colour.items():
            out[f"colour_wasserstein_baseline_{name}"] = d["wasserstein"]["mean"]
            out[f"colour_js_divergence_baseline_{name}"] = d["js_divergence"]["mean"]
        for name, d in self.diversity.items():
            for figure in FIGURES:
                out[f"diversity_{figure}_baseline_{name}"] = d[figure]
        if self.class_share:
            out["class_share_baseline_inputs"] = self.class_share["inputs"]
            out["class_share_baseline_real"] = self.class_share["real"]
            out["class_probability_baseline_inputs"] = self.class_share["inputs_probability"]
            out["class_probability_baseline_real"] = self.class_share["real_probability"]
        return out

    def to_dict(self) -> dict:
        return {"images_per_figure": self.count,
                "colour": {name: {"description": DESCRIPTIONS[name], **d} for name, d in self.colour.items()},
                "class_share": self.class_share or ({"none": self.no_class_share} if self.no_class_share else None),
                "diversity": {name: {"description": DIVERSITY_DESCRIPTIONS[name], **d}
                              for name, d in self.diversity.items()}}


def _class_scores(scorer, images) -> tuple:
    """(share with probability above 0.5, mean probability) of the target class: the mean is free of the
    threshold, so it still moves where a classifier calibrated on imbalanced data rarely passes 0.5."""
    p = np.asarray(scorer(to_uint8(images)), np.float64).reshape(-1)
    return float(np.mean(p > 0.5)), float(np.mean(p))


def _first(ds, count: int, skip: int = 0) -> dict:
    batch = next(iter(ds.skip(skip).take(count).batch(count).as_numpy_iterator()), None)
    return batch or {}


def _mean_colour_images(reference, count: int) -> np.ndarray:
    mean = reference.reshape(-1, reference.shape[-1]).mean(0)
    return np.broadcast_to(np.round(mean).astype(np.uint8), (count, *reference.shape[1:])).copy()


def _label_map_mean_colours(examples, label_maps, reference_count: int) -> np.ndarray:
    ref = _first(examples, reference_count)
    images, maps = ref["image"], np.asarray(ref["label_map"]).reshape(ref["image"].shape[:3])
    overall = images.reshape(-1, 3).mean(0)
    label_maps = np.asarray(label_maps).reshape(np.asarray(label_maps).shape[:3])
    out = np.empty((*label_maps.shape, 3), np.float64)
    for label in np.unique(label_maps):
        where = maps == label
        out[label_maps == label] = images[where].mean(0) if where.any() else overall
    return np.round(out).astype(np.uint8)


def _to_uint8_from_model_range(images) -> np.ndarray:
    return np.round((np.asarray(images, np.float32) + 1.0) * 127.5).clip(0, 255).astype(np.uint8)


def _cyclegan_class_share(run_config, inputs_a, count: int):
    """(class share dict, scorer) with the run's Path-Rank-Filter classifier, or (None, None, reason)."""
    from tfskin.inputs import domains

    m = run_config.model_config
    if not m.filter_classifier:
        return None, None, ("none: no classifier in this run (a CycleGAN keeps one only for the Path-Rank-Filter, "
                            "--classifier)")
    target = (m.filter_class or (m.domain_b if ":" not in m.domain_b else "")).upper()
    scorer = domains.load_scorer(m.filter_classifier, target, m.filter_input_range)
    b = domains.domain_examples(m.domain_b, run_config.data, tuple(run_config.data.image_size),
                                allow_generator=False)  # unfiltered: the filter kept what the classifier likes
    real = _first(b, count)["image"]
    (inputs_share, inputs_mean), (real_share, real_mean) = _class_scores(scorer, inputs_a), _class_scores(scorer, real)
    share = {"class": target, "classifier": str(m.filter_classifier), "inputs": inputs_share, "real": real_share,
             "inputs_probability": inputs_mean, "real_probability": real_mean,
             "real_images": f"{domains.describe_spec(m.domain_b)}, unfiltered", "threshold": 0.5}
    return share, scorer, None


def quality_baselines(inputs, preview: dict, reference, count: int) -> QualityBaselines:
    """The baselines of a run (``inputs``: its input object; ``preview``: the fixed preview batch;
    ``reference``: the uint8 reference batch of the colour curve; ``count``: images per figure, as the
    preview's)."""
    from tfskin.inputs.label_maps import LabelMaps
    from tfskin.inputs.unpaired import UnpairedDomains

    colour = {}
    held_out = _first(inputs.examples, count, skip=len(reference)).get("image")
    if held_out is not None and len(held_out):
        colour["real_held_out"] = colour_distances(reference, held_out, bins=COLOUR_BINS)
    colour["mean_colour"] = colour_distances(reference, _mean_colour_images(reference, count), bins=COLOUR_BINS)
    diversity = {}
    if count >= 2 and len(reference) >= count:
        diversity["real_reference"] = sample_diversity(reference[:count])
        if held_out is not None and len(held_out) == count:
            diversity["real_held_out"] = sample_diversity(held_out)
    class_share, scorer, reason = None, None, None  # None: no class is the point of this run
    if isinstance(inputs, UnpairedDomains):
        untranslated = _to_uint8_from_model_range(preview["images_a"])
        colour["untranslated_inputs"] = colour_distances(reference, untranslated, bins=COLOUR_BINS)
        class_share, scorer, reason = _cyclegan_class_share(inputs.run_config, untranslated, count)
    elif isinstance(inputs, LabelMaps):
        painted = _label_map_mean_colours(inputs.examples, preview["label_map"], len(reference))
        colour["label_map_mean_colours"] = colour_distances(reference, painted, bins=COLOUR_BINS)
    elif getattr(inputs, "latent_spec", {}).get("fake_labels"):
        reason = ("none: no classifier in this run (a class-conditional model: score its classes with "
                  "`tfskin evaluate metrics --cas`)")
    return QualityBaselines(colour, class_share, scorer, None if class_share else reason, count, diversity)


def write_baselines(path, baselines: QualityBaselines, history: dict, resume: bool = False) -> dict:
    """``quality_baselines.json``: the baselines and the outputs' scores per step (merged with the earlier
    steps' on resume); returns what it wrote."""
    import json
    from pathlib import Path

    path = Path(path)
    previous = json.loads(path.read_text()).get("outputs", {}) if resume and path.exists() else {}
    report = {**baselines.to_dict(), "outputs": {**previous, **{str(k): v for k, v in history.items()}}}
    path.write_text(json.dumps(report, indent=2, sort_keys=True))
    return report


def summary_lines(report: dict) -> list:
    """The end-of-training lines that put each figure beside its no-op baselines (``report``: what
    :func:`write_baselines` wrote)."""
    lines = []
    colour = report.get("colour") or {}
    if colour:
        shown = " | ".join(f"{d['description']} {d['wasserstein']['mean']:.1f}" for d in colour.values())
        lines.append(f"    beside no-op baselines (same code, {report['images_per_figure']} images): {shown}")
    lines += _diversity_lines(report)
    share = report.get("class_share")
    if share and "none" in share:
        lines.append(f"  share judged the target class: {share['none']}")
    elif share:
        outputs = report.get("outputs") or {}
        shown = lambda s, p: f"{s:.0%} (mean p {p:.2f})"
        curve = ""
        if outputs:
            first, last = min(outputs, key=int), max(outputs, key=int)
            at = lambda step: shown(outputs[step]["class_share"], outputs[step]["class_probability"])
            curve = (f"step {first}: {at(first)} -> " if first != last else "") + f"step {last}: {at(last)}"
        lines.append(f"  share judged {share['class']} by the run's classifier ({share['classifier']}, p > "
                     f"{share['threshold']}): outputs {curve}; untranslated inputs "
                     f"{shown(share['inputs'], share['inputs_probability'])}; real {share['class']} "
                     f"({share['real_images']}) {shown(share['real'], share['real_probability'])}")
    return lines


def _diversity_lines(report: dict) -> list:
    """The last step's sample diversity beside the real sets' (mean pairwise | nearest-neighbour distance)."""
    outputs = {step: scores for step, scores in (report.get("outputs") or {}).items()
               if "diversity_mean_pairwise" in scores}
    if not outputs:
        return []
    last = max(outputs, key=int)
    pair = lambda d, prefix="": f"{d[prefix + 'mean_pairwise']:.2f} | {d[prefix + 'mean_nearest']:.2f}"
    shown = [f"outputs (step {last}) {pair(outputs[last], 'diversity_')}"]
    shown += [f"{d['description']} {pair(d)}" for d in (report.get("diversity") or {}).values()]
    lines = ["  sample diversity (mean pairwise | nearest-neighbour distance, 16x16 pixels, "
             f"{report['images_per_figure']} images): " + "; ".join(shown)]
    if "diversity_ratio_mean_pairwise" in outputs[last]:
        lines.append(f"    outputs / real: {pair(outputs[last], 'diversity_ratio_')} (about 1: as varied as real "
                     f"images; near 0: one image for every input, mode collapse)")
    return lines
