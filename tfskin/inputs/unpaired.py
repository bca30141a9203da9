"""Inputs of the unpaired image-to-image family (CycleGAN): two domains, each from its source step (a class of the
run's dataset, an image folder, or a generator's samples) and, for domain B, the Path-Rank-Filter step, handed
to the model as two image datasets. Prepared once per process (filter scores and generator samples are
deterministic, so a resumed run prepares exactly the same domains).

The domain settings (``domain_a``, ``domain_b``, ``domain_a_samples``, ``filter_*``) are read from the run's
model config, where ``tfskin train`` declares their flags."""

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfskin.errors import ConfigError
from tfskin.inputs import domains
from tfskin.inputs.images import RunInputs


@dataclasses.dataclass(frozen=True)
class RunDomains:
    a: tf.data.Dataset
    b: tf.data.Dataset
    size_a: int
    size_b: int
    filter: domains.FilterResult = None

    def summary(self, config) -> dict:
        m = config.model_config
        out = {"domain_a": {"spec": m.domain_a, "source": domains.describe_spec(m.domain_a), "images": self.size_a},
               "domain_b": {"spec": m.domain_b, "source": domains.describe_spec(m.domain_b), "images": self.size_b},
               "path_rank_filter": None}
        if self.filter is not None:
            f = self.filter
            out["path_rank_filter"] = {"alpha": f.alpha, "classifier": f.classifier, "class": f.class_name,
                                       "scored": f.total, "kept": len(f.kept_ids), "threshold": f.threshold,
                                       "kept_ids_file": "path_rank_filter.json"}
        return out


@functools.lru_cache(maxsize=4)
def run_domains(config) -> RunDomains:
    """Domains A and B of a run config (``RunConfig`` with a ``CycleGANConfig``)."""
    m, data = config.model_config, config.data
    size = tuple(data.image_size)
    a = domains.domain_examples(m.domain_a, data, size, generator_samples=m.domain_a_samples,
                                seed=config.train.seed)
    b = domains.domain_examples(m.domain_b, data, size, allow_generator=False)
    result = None
    if m.filter_classifier:
        target = m.filter_class or (m.domain_b if ":" not in m.domain_b else "")
        if not target:
            raise ConfigError("cyclegan: set filter_class (the class the Path-Rank-Filter ranks by) when domain B "
                             "is a folder")
        scorer = domains.load_scorer(m.filter_classifier, target, m.filter_input_range)
        result = domains.path_rank_filter(b, scorer, m.filter_alpha, class_name=target.upper(),
                                          classifier=m.filter_classifier)
        b = domains.keep_ids(b, result.kept_ids)
    size_a, size_b = domains.count(a), domains.count(b)
    if not size_a or not size_b:
        raise ConfigError(f"cyclegan: domain {'A' if not size_a else 'B'} "
                         f"({m.domain_a if not size_a else m.domain_b}) has no images in {data.name}/{data.split}")
    return RunDomains(a=a, b=b, size_a=size_a, size_b=size_b, filter=result)


def preview_examples(config) -> tf.data.Dataset:
    """Examples for the fixed preview batch and the colour reference: ``image`` from B, ``image_a`` from A."""
    d = run_domains(config)
    return tf.data.Dataset.zip((d.a.repeat(), d.b)).map(lambda a, b: {"image": b["image"], "image_a": a["image"]})


def make_batches(config, start_step):
    """The endless unpaired stream ``{"images_a", "images_b"}`` of a run from ``start_step`` on."""
    d = run_domains(config)
    return domains.unpaired_batches(d.a, d.b, batch_size=config.train.batch_size, seed=config.train.seed,
                                    augment=config.data.augment, start_step=start_step,
                                    shuffle_buffer=config.data.shuffle_buffer)


def write_domain_report(config, run_dir) -> Path:
    """``domains.json`` (sources, sizes, filter summary) and ``path_rank_filter.json`` (kept ids) in the run dir."""
    d = run_domains(config)
    run_dir = Path(run_dir)
    if d.filter is not None:
        d.filter.write(run_dir / "path_rank_filter.json")
    path = run_dir / "domains.json"
    path.write_text(json.dumps(d.summary(config), indent=2))
    return path


def _to_model_range(images):
    return np.asarray(images).astype("float32") / np.float32(127.5) - np.float32(1.0)


class UnpairedDomains(RunInputs):
    """Domains A and B of a CycleGAN run: unpaired ``{"images_a", "images_b"}`` batches in [-1, 1]; the
    examples are B's images with A's alongside (``image_a``), so the colour curve compares translations of A
    with real B; ``prepare`` writes ``domains.json`` (and the Path-Rank-Filter's kept ids)."""

    def load_examples(self):
        return preview_examples(self.run_config)

    def batches(self, start_step: int):
        return make_batches(self.run_config, start_step)

    def preview(self, num: int) -> dict:
        """The first ``num`` pairs, fixed (NumPy, so that either backend takes them)."""
        batch = next(iter(self.examples.take(num).batch(num)))
        return {"images_a": _to_model_range(batch["image_a"]), "images_b": _to_model_range(batch["image"])}

    def prepare(self, run_dir):
        write_domain_report(self.run_config, run_dir)
