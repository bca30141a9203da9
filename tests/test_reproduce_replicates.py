"""A replicate is the whole experiment: each draws its own real training set S_g, trains every GAN on S_g only,
gives every arm exactly S_g, and (on phantoms) draws its own test sets, the shifted one of new lesions. The
invariants are checked in code (``tfskin.reproduce.provenance``); these tests break each one and expect the check
to refuse, using the smoke budget's plans and GAN configs written as run folders (no training)."""

import json

import numpy as np
import pytest

from tfskin.errors import ConfigError
from tfskin.reproduce import bissoto2018, pollastri2020
from tfskin.reproduce.papers import Experiment, settings_for
from tfskin.reproduce.provenance import ProvenanceError, example_ids, replicate_record
from tfskin.reproduce.replicates import design, plan_replicates


def _experiment(module, tmp_path, budget="smoke", data="phantoms"):
    return Experiment(paper=module.__name__.rsplit(".", 1)[-1], out=tmp_path, data=data, ood_data=None,
                      budget=budget, settings=settings_for(module, budget), workers=1, workflow=None,
                      datasets=module.datasets(data))


def _write_runs(tmp_path, configs: dict, tag: str) -> dict:
    """Each config as a GAN run folder holding only its config.json (what provenance reads)."""
    runs = {}
    for name, config in configs.items():
        run_dir = tmp_path / "gans" / name / tag
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(config.to_json())
        runs[name] = str(run_dir)
    return runs


def _results(cfg, n_train: int, drop_one_from=None) -> list:
    """What the protocol's runs record: every arm with real data trained on all of S_g (pool positions)."""
    out = []
    for repeat in range(cfg["repeats"]):
        for cond in cfg["conditions"]:
            positions = list(range(n_train)) if cond["real"] else []
            if cond["name"] == drop_one_from:
                positions = positions[1:]
            out.append({"condition": cond["name"], "repeat": repeat, "real_pool_indices": positions,
                        "train_composition": {"real": len(positions)}})
    return out


@pytest.fixture
def bissoto(tmp_path):
    from tfskin.evaluation.protocol import load_protocol

    exp = _experiment(bissoto2018, tmp_path)
    cfg = load_protocol(bissoto2018.protocol_config(exp))
    reps = plan_replicates(exp)
    runs = {rep.index: _write_runs(tmp_path, bissoto2018.gan_configs(exp, rep), rep.tag) for rep in reps}
    return exp, cfg, reps, runs


def test_replicates_draw_their_own_real_and_test_sets(bissoto):
    exp, cfg, reps, runs = bissoto
    records = [replicate_record(cfg, _results(cfg, rep.n_train), rep.index, runs[rep.index],
                                bissoto2018.arms_synthetic()) for rep in reps]
    assert len(records) == exp.settings["gan_replicates"] == 2
    first, second = records
    n = exp.settings["train_size"]
    for record in records:
        assert len(record["real_train_ids"]) == n
        for gan in record["gans"].values():
            assert sorted(gan["train_ids"]) == sorted(record["real_train_ids"])
        assert record["arms"]["Real"]["real_ids"] == sorted(record["real_train_ids"])
        assert record["arms"]["PGAN"]["real_ids"] == [] and record["arms"]["PGAN"]["synthetic_from"] == ["pgan"]
        tests = record["test_ids"]
        assert len(tests["in_distribution"]) == exp.settings["test_size"]
        assert not set(tests["in_distribution"]) & set(tests["out_of_distribution"])  # new lesions, not re-renders
    assert not set(first["real_train_ids"]) & set(second["real_train_ids"])  # fresh phantoms per replicate
    assert not set(first["test_ids"]["in_distribution"]) & set(second["test_ids"]["in_distribution"])
    assert first["gans"]["pgan"]["seed"] != second["gans"]["pgan"]["seed"]
    assert design(exp) == {"test_set": "resampled", "training_overlap": None, "unit": "replicate",
                           "gan_replicates": 2, "repeats": 2}
    assert cfg["baseline"] == "Real" and cfg["reference"] == "Real+Instance+PGAN"


def test_a_gan_trained_outside_its_replicate_is_refused(bissoto, tmp_path):
    exp, cfg, reps, runs = bissoto
    rep = reps[0]
    configs = bissoto2018.gan_configs(exp, reps[1])  # replicate 1's real images in replicate 0's slot
    wrong = _write_runs(tmp_path / "wrong", {"pgan": configs["pgan"]}, rep.tag)
    with pytest.raises(ProvenanceError, match="GAN pgan trained on .* outside"):
        replicate_record(cfg, _results(cfg, rep.n_train), 0, {**runs[0], **wrong}, bissoto2018.arms_synthetic())
    config = bissoto2018.gan_configs(exp, rep)["pix2pixhd_instance"]
    fewer = config.replace(data=config.data.replace(num_examples=rep.n_train - 1))  # a part of S_g only
    partial = _write_runs(tmp_path / "partial", {"pix2pixhd_instance": fewer}, rep.tag)
    with pytest.raises(ProvenanceError, match="of the replicate's"):
        replicate_record(cfg, _results(cfg, rep.n_train), 0, {**runs[0], **partial}, bissoto2018.arms_synthetic())


def test_an_arm_with_other_real_images_or_maps_outside_s_is_refused(bissoto):
    exp, cfg, reps, runs = bissoto
    rep = reps[0]
    with pytest.raises(ProvenanceError, match="arm 'Real\\+PGAN'"):
        replicate_record(cfg, _results(cfg, rep.n_train, drop_one_from="Real+PGAN"), 0, runs[0],
                         bissoto2018.arms_synthetic())
    outside = example_ids("phantoms", "train", reps[1].data_seed, 3)
    with pytest.raises(ProvenanceError, match="label map"):
        replicate_record(cfg, _results(cfg, rep.n_train), 0, runs[0], bissoto2018.arms_synthetic(),
                         maps={"pix2pixhd_instance": outside})


def test_a_shifted_test_set_that_re_renders_the_test_lesions_is_refused(bissoto):
    exp, cfg, reps, runs = bissoto
    same = json.loads(json.dumps(cfg))
    for entry in same["replicates"]:
        entry["data"]["ood_test"]["seed"] = entry["data"]["seed"]  # the old design: same lesions, clinic look
    with pytest.raises(ProvenanceError, match="re-renders"):
        replicate_record(same, _results(same, reps[0].n_train), 0, runs[0], bissoto2018.arms_synthetic())


def test_repeats_must_fill_every_gan_replicate_alike(tmp_path):
    from tfskin.reproduce.run import reproduce

    with pytest.raises(ConfigError, match="multiple of 3"):
        reproduce("bissoto2018", tmp_path, budget="cpu", repeats=10, dry_run=True)
    assert reproduce("bissoto2018", tmp_path, budget="cpu", repeats=12, dry_run=True)["evaluation"]["repeats"] == 12


def test_nested_classifier_repeats_share_their_replicate(tmp_path):
    """At the cpu budget G=3 GAN replicates hold 3 classifier repeats each: repeat r uses replicate r % 3's S_g
    and GANs, and the design names the GAN replicate as the unit."""
    from tfskin.evaluation.protocol import data_of, load_protocol, replicate_of, source_spec

    exp = _experiment(bissoto2018, tmp_path, budget="cpu")
    cfg = load_protocol(bissoto2018.protocol_config(exp))
    assert cfg["repeats"] == 9 and len(cfg["replicates"]) == 3 and design(exp)["unit"] == "gan_replicate"
    assert [replicate_of(cfg, r) for r in range(9)] == [0, 1, 2] * 3
    assert data_of(cfg, 4) == data_of(cfg, 1) != data_of(cfg, 0)
    assert data_of(cfg, 1)["train_pool"] == data_of(cfg, 1)["train_size"] == exp.settings["train_size"]
    assert source_spec(cfg, "pgan", 5).endswith("gans/pgan/r2") and source_spec(cfg, "instance", 3).endswith(
        "synthetic/r0/instance")


def test_the_protocol_trains_each_repeat_on_its_replicates_real_set(tmp_path):
    from tfskin.data.phantoms import generate_phantoms
    from tfskin.evaluation import protocol

    exp = _experiment(bissoto2018, tmp_path)
    cfg = protocol.load_protocol(bissoto2018.protocol_config(exp))
    real = next(c for c in cfg["conditions"] if c["name"] == "Real")
    for repeat, rep in enumerate(plan_replicates(exp)):
        train = protocol.build_training_set(cfg, real, repeat)
        np.testing.assert_array_equal(train["real_index"], np.arange(rep.n_train))
        expected = generate_phantoms(rep.n_train, 32, 32, seed=rep.data_seed)["image"]
        np.testing.assert_array_equal(train["image"], expected)


def test_the_small_subset_arms_get_their_own_gan(tmp_path):
    """pollastri2020's subset-size arms train on the first small_train_size images of S_g, and so does the
    LAPGAN that feeds them (not the one trained on all of S_g)."""
    from tfskin.evaluation.seg_protocol import load_seg_protocol, real_subset_indices

    exp = _experiment(pollastri2020, tmp_path)
    cfg = load_seg_protocol(pollastri2020.protocol_config(exp))
    rep = plan_replicates(exp)[1]
    small = exp.settings["small_train_size"]
    configs = pollastri2020.gan_configs(exp, rep)
    assert configs["lapgan_mask_small"].data.num_examples == small
    assert configs["lapgan_mask"].data.num_examples == rep.n_train
    arm = next(c for c in cfg["conditions"] if c["train_size"] == small and c["synthetic"])
    assert arm["synthetic"] == "lapgan_small" and cfg["replicates"][1]["sources"]["lapgan_small"].endswith(
        "gans/lapgan_mask_small/r1")
    np.testing.assert_array_equal(real_subset_indices(cfg, 1, small), np.arange(small))
    runs = _write_runs(tmp_path, configs, rep.tag)
    results = [{"condition": c["name"], "repeat": r, "real_pool_indices": list(range(c["train_size"] or rep.n_train)),
                "steps": {"synthetic": c["synthetic_steps"]}} for r in range(cfg["repeats"]) for c in cfg["conditions"]]
    subset = {"lapgan_mask_small": example_ids("phantoms", "train", rep.data_seed, small)}
    arms = {c["name"]: [pollastri2020.SOURCE_GANS[c["synthetic"]]] if c["synthetic"] else []
            for c in cfg["conditions"]}
    record = replicate_record(cfg, results, 1, runs, arms, subsets=subset)
    assert len(record["arms"][arm["name"]]["real_ids"]) == small
    with pytest.raises(ProvenanceError, match="lapgan_mask_small"):  # the subset GAN trained on all of S_g
        replicate_record(cfg, results, 1, {**runs, "lapgan_mask_small": runs["lapgan_mask"]}, arms, subsets=subset)


# --- the shifted domain's class mix ----------------------------------------------------------------------------

def test_phantoms_take_a_class_mix_with_the_domain():
    from tfskin.classes import CLASS_NAMES, default_class_prior
    from tfskin.data.names import split_dataset_name
    from tfskin.data.phantoms import phantom_labels

    base, options = split_dataset_name("phantoms:domain=clinic,melanoma=0.3")
    assert base == "phantoms" and options["domain"] == "clinic"
    prior = np.array(options["class_prior"])
    mel = CLASS_NAMES.index("MEL")
    assert prior[mel] == pytest.approx(0.3) and prior.sum() == pytest.approx(1.0)
    isic = np.array(default_class_prior())
    others = [i for i in range(len(CLASS_NAMES)) if i != mel]
    np.testing.assert_allclose(prior[others] / prior[others].sum(), isic[others] / isic[others].sum())
    labels = phantom_labels(4000, seed=3, class_prior=options["class_prior"])
    assert abs(np.mean(labels == mel) - 0.3) < 0.03  # ISIC 2019's own share is about 0.18
    assert split_dataset_name("phantoms:nv=0.5")[1]["class_prior"][CLASS_NAMES.index("NV")] == pytest.approx(0.5)


@pytest.mark.parametrize("name, message", [("phantoms:melanoma=1.5", "must lie in"),
                                           ("phantoms:melanoma=lots", "not a number"),
                                           ("phantoms:colour=red", "unknown option"),
                                           ("isic2019:melanoma=0.3", "only phantoms take options")])
def test_a_bad_class_mix_is_a_config_error(name, message):
    from tfskin.data.names import split_dataset_name

    with pytest.raises(ConfigError, match=message):
        split_dataset_name(name)


def test_the_class_mix_reaches_the_images():
    from tfskin.classes import CLASS_NAMES
    from tfskin.evaluation.real_data import load_arrays

    mixed = load_arrays("phantoms:domain=clinic,melanoma=0.6", "test", (16, 16), num_examples=60, seed=1)
    plain = load_arrays("phantoms:domain=clinic", "test", (16, 16), num_examples=60, seed=1)
    mel = CLASS_NAMES.index("MEL")
    assert np.mean(mixed["label"] == mel) > np.mean(plain["label"] == mel) + 0.2


# --- real data: blocks of the prepared training split, a fixed test set ------------------------------------------

@pytest.mark.slow
def test_real_data_replicates_read_disjoint_blocks_and_a_fixed_test_set(tmp_path, monkeypatch):
    """On a prepared dataset (the isic2019 dummy release) replicate g reads the g-th block of the shuffled
    training split: its GANs and its protocol pool are that block; the test set is the same in every replicate."""
    from pathlib import Path

    from tfskin.data.tfds import register
    from tfskin.evaluation.protocol import load_protocol
    from tfskin.reproduce import fossen2020
    from tfskin.reproduce.provenance import gan_train_ids, protocol_ids

    root = tmp_path / "tfds"
    dummy = Path(__file__).resolve().parents[1] / "datasets" / register.SOURCES["isic2019"][0] / "dummy_data"
    register.build("isic2019", dummy, data_dir_override=str(root), workers=0, progress=False)
    monkeypatch.setenv(register.DATA_DIR_ENV, str(root))
    exp = _experiment(fossen2020, tmp_path / "out", data="isic2019")
    exp.settings.update(train_size=2, test_size=None, gan_replicates=2, repeats=2)
    exp.datasets["ood"] = None
    reps = plan_replicates(exp)
    assert [r.train_split for r in reps] == ["train[0:2]", "train[2:4]"]
    cfg = load_protocol(fossen2020.protocol_config(exp))
    blocks = [protocol_ids(cfg, r.index) for r in reps]
    assert all(len(b["pool"]) == 2 for b in blocks) and not set(blocks[0]["pool"]) & set(blocks[1]["pool"])
    assert blocks[0]["test"] == blocks[1]["test"] and len(blocks[0]["test"]) == 2  # the fixed test split
    assert all(i.startswith("ISIC_") for i in blocks[0]["pool"])  # file stems
    runs = _write_runs(tmp_path, {"acgan": fossen2020._acgan_config(exp, reps[1])}, "r1")
    assert sorted(gan_train_ids(runs["acgan"])["train_ids"]) == sorted(blocks[1]["pool"])
    assert design(exp)["test_set"] == "fixed"
    from tfskin.reproduce.replicates import check_train_size

    exp.settings.update(gan_replicates=3)  # 3 blocks of 2 do not fit 5 training images
    with pytest.raises(ConfigError, match="need 6, the split has 5"):
        check_train_size(exp)


def test_more_repeats_extend_a_replicated_protocol_but_other_replicates_do_not(tmp_path):
    from tfskin.evaluation.jsonio import write_json
    from tfskin.evaluation.seg_protocol import _check_resume, load_seg_protocol

    exp = _experiment(pollastri2020, tmp_path)
    cfg = load_seg_protocol(pollastri2020.protocol_config(exp))
    write_json(tmp_path / "protocol.json", cfg)
    exp.settings.update(repeats=4)  # two classifier repeats per GAN replicate: the design's unit changes too
    more = load_seg_protocol(pollastri2020.protocol_config(exp))
    assert more["design"]["unit"] == "gan_replicate" != cfg["design"]["unit"]
    _check_resume(more, tmp_path)
    other = json.loads(json.dumps(more))
    other["replicates"][0]["data"]["seed"] += 1
    with pytest.raises(ConfigError, match="replicates"):
        _check_resume(other, tmp_path)


def test_the_cpu_budgets_pgan_reaches_its_full_resolution_within_its_steps(tmp_path):
    from tfskin.training import build_model

    exp = _experiment(bissoto2018, tmp_path, budget="cpu")
    config = bissoto2018.gan_configs(exp, plan_replicates(exp)[0])["pgan"]
    model = build_model(config)
    assert model.schedule_notice(config.train.steps, config.train.batch_size) is None
    schedule = model.stage_schedule(config.train.batch_size)
    assert schedule.phases[-1].name == "32x32" and schedule.full_from < 0.8 * config.train.steps


def test_the_cpu_budgets_keep_a_generator_ema_only_where_no_gan_comparison_hinges_on_it(tmp_path):
    """The dcgan and acgan quick presets keep a generator EMA (measured better); lunagariya and pollastri2020
    compare the DCGAN with another family trained without one, so their GANs keep none; fossen2020's ACGAN keeps
    the preset's."""
    from tfskin.reproduce import fossen2020, lunagariya

    halflives = {}
    for module in (lunagariya, pollastri2020):
        exp = _experiment(module, tmp_path / module.__name__, budget="cpu")
        for name, config in module.gan_configs(exp, plan_replicates(exp)[0]).items():
            halflives[name] = config.ema.halflife_images
    assert set(halflives.values()) == {0} and {"dcgan", "dcgan_mask"} & set(halflives)
    exp = _experiment(fossen2020, tmp_path / "fossen", budget="cpu")
    assert fossen2020._acgan_config(exp, plan_replicates(exp)[0]).ema.halflife_images == 2000
