"""A replicate is the whole experiment: its own real training set S_g, every GAN trained on S_g only (with its
own seed), synthesis from those GANs, every arm's classifier or segmenter trained on exactly S_g (plus
synthetic images from replicate g's GANs), and its own test draw.

Where G full replicates do not fit a budget, each GAN replicate holds K classifier repeats (other classifier
seeds and synthetic draws, the same S_g, GANs and test sets): the budget's ``repeats`` = G x K and repeat r
belongs to replicate r % G, so the statistics take the GAN replicate as their unit.

How S_g is drawn:

- phantoms: a fresh draw from the phantom population (generator seed ``data_seed``, examples 0..n-1 of the
  train split), so replicates share no lesion; the in-distribution test set is a fresh draw too (the same seed,
  the test split's own ids) and the shifted-domain test set draws *new* lesions (another seed), not
  re-renders of the in-distribution ones;
- real data: the g-th block of ``n`` examples of the prepared training split (TFDS writes a split in a shuffled
  order, so blocks are disjoint random subsets); the whole split when the budget uses all of it. The training
  split is the paper's own where it made one (``exp.splits``: Fossen-Romsaas et al.'s ``fossen2020_train``). The test
  split is fixed: the same test set in every replicate (its sampling variance is the statistics' bootstrap).
"""

import dataclasses
import hashlib

from tfskin.reproduce.papers import is_phantoms


@dataclasses.dataclass(frozen=True)
class Replicate:
    """Where replicate ``index`` draws its real data and seeds its GANs."""

    index: int
    train_split: str  # the split S_g is read from ("train" or a block "train[a:b]")
    data_seed: int  # phantoms: the generator seed of S_g and of the test draw (real data: unused)
    ood_seed: int  # phantoms: the generator seed of the shifted-domain test draw
    gan_seed: int  # the GANs' training seed
    n_train: int  # |S_g| (None: the whole split)

    @property
    def tag(self) -> str:
        return f"r{self.index}"


def _seed(*parts) -> int:
    digest = hashlib.sha256("/".join(str(p) for p in ("replicate", *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2 ** 31)


def gan_replicates(exp) -> int:
    return int(exp.settings["gan_replicates"])


def plan_replicates(exp) -> list:
    """The budget's G replicates of the experiment."""
    n = exp.settings["train_size"]
    phantoms = is_phantoms(exp.data)
    out = []
    for g in range(gan_replicates(exp)):
        train = "train" if phantoms else exp.splits["train"]
        split = train if phantoms or not n else f"{train}[{g * n}:{(g + 1) * n}]"
        out.append(Replicate(index=g, train_split=split, data_seed=_seed("data", g) if phantoms else 0,
                             ood_seed=_seed("ood", g) if phantoms else 0, gan_seed=_seed("gan", g), n_train=n))
    return out


def gan_data(rep: Replicate, dataset: str, **extra) -> dict:
    """The ``data`` section of a replicate's GAN run: exactly S_g of ``dataset``."""
    return {"name": dataset, "split": rep.train_split, "seed": rep.data_seed, "num_examples": rep.n_train, **extra}


def protocol_data_override(exp, rep: Replicate) -> dict:
    """What replicate ``rep`` changes in the protocol's ``data``: S_g as the whole pool and training subset, and
    (on phantoms) its own test draws."""
    over = {"train_split": rep.train_split, "train_pool": rep.n_train, "train_size": rep.n_train,
            "seed": rep.data_seed}
    if exp.datasets.get("ood") and is_phantoms(exp.datasets["ood"]):
        over["ood_test"] = {"seed": rep.ood_seed}
    return over


def protocol_replicates(exp, sources_of) -> list:
    """The protocol's ``replicates`` list: per replicate its data override and ``sources_of(rep)``."""
    return [{"data": protocol_data_override(exp, rep), "sources": sources_of(rep)} for rep in plan_replicates(exp)]


def design(exp) -> dict:
    """What the statistics must account for: whether each replicate draws its own test set, how much the
    replicates' training sets overlap (None: not at all), and the unit of analysis."""
    s = exp.settings
    phantoms = is_phantoms(exp.data)
    overlap = None
    if not phantoms and not s["train_size"]:  # every replicate trains on the whole split
        overlap = {"n_train": _split_size(real_dataset(exp), exp.splits["train"]),
                   "n_test": s.get("test_size") or _split_size(real_dataset(exp), exp.splits["test"])}
    unit = "gan_replicate" if int(s["repeats"]) > gan_replicates(exp) else "replicate"
    return {"test_set": "resampled" if phantoms else "fixed", "training_overlap": overlap, "unit": unit,
            "gan_replicates": gan_replicates(exp), "repeats": int(s["repeats"])}


def real_dataset(exp) -> str:
    """The dataset S_g is drawn from: the evaluation's (bissoto2018's real data is ISIC 2018 task 1/2 with
    joined diagnoses, whatever ``--data`` named), else ``--data``."""
    roles = exp.datasets or {}
    return roles.get("classifier") or roles.get("segmenter") or exp.data


def _split_size(name: str, split: str):
    """Examples in a prepared dataset's split (None when it cannot be read now)."""
    try:
        from tfskin.data.tfds.register import split_size

        return split_size(name, split)
    except Exception:  # noqa: BLE001 - a dry run on unprepared data still describes the design
        return None


def check_train_size(exp):
    """Real data in blocks: G blocks of n must fit in the training split."""
    from tfskin.errors import ConfigError

    n, g = exp.settings["train_size"], gan_replicates(exp)
    if is_phantoms(exp.data) or not n:
        return
    total = _split_size(real_dataset(exp), exp.splits["train"])
    if total is not None and g * n > total:
        raise ConfigError(f"{real_dataset(exp)}: {g} replicates of {n} training images need {g * n}, the split has "
                          f"{total}")
