"""``tfskin evaluate classify | segment | metrics | augmentation | segmentation`` (registered by ``tfskin.cli``).

Each command's ``validate`` checks what it can without TensorFlow (dataset and class names, image sizes, source
specs, files and folders named by flags) before ``tfskin.cli`` imports it, so a mistyped flag answers at once.
"""

import argparse
import json
import sys
from pathlib import Path

from tfskin.config import count_type
from tfskin.errors import ConfigError, UserError
from tfskin.evaluation.choices import BACKBONES, CDNN_VARIANTS, CHANNEL_MODES, SEGMENTATION_LOSSES, TASKS
from tfskin.evaluation.engine import ENGINES


def _image_size(text):
    from tfskin.config import parse_image_size

    return parse_image_size(text)


def _positive(text):
    """An argparse ``type``: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _flag(name, check, *values):
    """Run a check of a flag's value (no TensorFlow); its error names the flag."""
    try:
        return check(*values)
    except UserError as err:
        raise type(err)(f"{name}: {err}") from None


def _check_dataset(flag, name):
    from tfskin.data.names import check_dataset

    _flag(flag, check_dataset, name)


def _check_synthetic(flag, specs):
    from tfskin.sources import check_spec

    for spec in specs if isinstance(specs, list) else [specs] if specs else []:
        _flag(flag, check_spec, spec)


def _check_classify(args):
    """Before TensorFlow is imported: datasets, class names, image size, weights file, synthetic source."""
    from tfskin.classes import class_index
    from tfskin.config import parse_image_size

    _check_dataset("--data", args.data)
    if args.ood_data:
        _check_dataset("--ood-data", args.ood_data)
    for name in (args.classes or "").split(","):
        if name.strip():
            _flag("--classes", class_index, name.strip())
    _flag("--image-size", parse_image_size, args.image_size)
    if args.weights not in ("none", "None", "imagenet") and not Path(args.weights).is_file():
        raise ConfigError(f"--weights: file {args.weights} not found (none, imagenet or a local weights file of "
                          f"the headless backbone)")
    _check_synthetic("--synthetic", args.synthetic)


def _check_segment(args):
    """Before TensorFlow is imported: dataset, image size (divisible by 16), synthetic source."""
    from tfskin.config import parse_image_size

    _check_dataset("--data", args.data)
    if args.image_size:
        h, w = _flag("--image-size", parse_image_size, args.image_size)
        if h % 16 or w % 16:
            raise ConfigError(f"--image-size: {h}x{w} must be divisible by 16 (the segmenter pools four times)")
    _check_synthetic("--synthetic", args.synthetic)


def _check_protocol(args):
    """Before TensorFlow is imported: the protocol file exists and is a YAML mapping."""
    from tfskin.evaluation.protocol import read_config

    read_config(args.config, f"{args.evaluate_command} protocol")


def _print_json(payload, path=None):
    from tfskin.evaluation.jsonio import dumps

    text = dumps(payload)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    return text


def _cmd_classify(args):
    import numpy as np

    from tfskin.evaluation import classifier as clf
    from tfskin.evaluation.real_data import load_arrays

    config = clf.ClassifierConfig(task=args.task, classes=tuple(args.classes.split(",")) if args.classes else None,
                                  backbone=args.backbone, weights=args.weights, image_size=_image_size(args.image_size),
                                  epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                                  class_weight=args.class_weight, tta=args.tta, seed=args.seed)
    train = load_arrays(args.data, args.train_split, config.image_size, num_examples=args.train_examples,
                        seed=args.data_seed)
    test = load_arrays(args.data, args.test_split, config.image_size, num_examples=args.test_examples,
                       seed=args.data_seed)
    y_train = clf.task_labels(config.task, train["label"], config.classes)
    images, labels = train["image"][y_train >= 0], y_train[y_train >= 0]
    if args.synthetic:
        from tfskin.evaluation.protocol import _task_labels_of
        from tfskin.evaluation.real_data import resize_images
        from tfskin.sources import make_source

        source = make_source(args.synthetic)
        batch = source.sample(args.synthetic_n, seed=args.seed)
        images = np.concatenate([images, resize_images(batch["image"], config.image_size)])
        labels = np.concatenate([labels, _task_labels_of(batch["label"], source, None, config)])
    print(f"training {config.backbone} ({config.task}) on {len(labels)} images for {config.epochs} epochs",
          flush=True)
    model = clf.train_classifier(config, images, labels, verbose=2 if args.verbose else 0)
    y_test = clf.task_labels(config.task, test["label"], config.classes)
    out = Path(args.out)
    report = clf.evaluate_classifier(model, test["image"][y_test >= 0], y_test[y_test >= 0], out_dir=out)
    model.save(out / "classifier")
    _print_classification(f"{args.data}/{args.test_split}", report)
    written = [str(out / "metrics.json")]
    if args.ood_data:
        ood = load_arrays(args.ood_data, args.ood_split, config.image_size, num_examples=args.test_examples,
                          seed=args.data_seed)
        y_ood = clf.task_labels(config.task, ood["label"], config.classes)
        ood_report = clf.evaluate_classifier(model, ood["image"][y_ood >= 0], y_ood[y_ood >= 0], out_dir=out / "ood")
        _print_classification(f"{args.ood_data}/{args.ood_split} (out of distribution)", ood_report)
        print(f"AUC change in -> out of distribution: {ood_report['auc'] - report['auc']:+.4f}")
        written.append(str(out / "ood" / "metrics.json"))
    print(f"wrote {', '.join(written)}, plots and the classifier ({out / 'classifier'})")
    return 0


def _print_classification(where, report):
    print(f"{where}: AUC {report['auc']:.4f}  balanced accuracy {report['balanced_accuracy']:.4f}  macro F1 "
          f"{report['macro_f1']:.4f}  (n={report['num_examples']}, TTA {report['tta']})")
    for name, s in report["per_class"].items():
        print(f"  {name:>10}: precision {s['precision']:.3f} recall {s['recall']:.3f} f1 {s['f1']:.3f} "
              f"(n={s['support']})")


def _cmd_segment(args):
    from tfskin.evaluation import segmenter as seg
    from tfskin.evaluation.real_data import load_arrays

    overrides = dict(image_size=_image_size(args.image_size)) if args.image_size else {}
    if args.loss:
        overrides["loss"] = args.loss
    if args.channels:
        overrides["channels"] = args.channels
    overrides.update(width=args.width, batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed)
    if args.arch == "unet":
        config = seg.SegmenterConfig(arch="unet", **{"loss": "bce", "channels": "rgb", **overrides})
    else:
        config = seg.SegmenterConfig.variant(args.arch, **overrides)
    feats = ("image", "mask")
    train = load_arrays(args.data, args.train_split, config.image_size, num_examples=args.train_examples,
                        features=feats)
    test = load_arrays(args.data, args.test_split, config.image_size, num_examples=args.test_examples,
                       features=feats)
    out = Path(args.out)
    if args.synthetic:
        from tfskin.sources import make_source

        source = make_source(args.synthetic)
        result = seg.two_step_comparison(config, train, test, synthetic_source=source,
                                         synthetic_steps=args.synthetic_steps, real_steps=args.steps, out_dir=out)
        for name in ("real_only", "synthetic_then_real"):
            print(f"{name:>20}: {_segmentation_line(result[name])}")
        print(f"mean Jaccard gain from the synthetic phase: {result['jaccard_gain']:+.4f}")
    else:
        model, _ = seg.train_segmenter(config, train["image"], train["mask"], real_steps=args.steps,
                                       log_every=50, stream=sys.stdout)
        result = seg.evaluate_segmenter(model, test["image"], test["mask"], out_dir=out)
        result.pop("jaccard_per_image", None)
        print(_segmentation_line(result))
    _print_json({"config": config.to_dict(), **result}, out / "segment.json")
    print(f"wrote {out / 'segment.json'}")
    return 0


def _segmentation_line(r) -> str:
    return (f"mean Jaccard (ISIC 2017 score) {r['jaccard']:.4f}  thresholded Jaccard (ISIC 2018 score, per-image "
            f"< 0.65 counts 0) {r['thresholded_jaccard']:.4f}  Dice {r['dice']:.4f}  below 0.6 "
            f"{r['share_below_0.6']:.3f}  below 0.7 {r['share_below_0.7']:.3f}")


def _real_classes(args):
    return tuple(c.strip().upper() for c in args.real_classes.split(",") if c.strip()) if args.real_classes else None


def _check_metrics(args):
    """Before TensorFlow is imported: --real (a dataset, or a folder that exists) and its --real-classes, the
    synthetic sources, the feature network, and --cas's needs."""
    from tfskin.classes import class_index
    from tfskin.config import parse_image_size
    from tfskin.evaluation.features import check_feature_spec

    folder = str(args.real).startswith("png:")  # real_data.is_folder_spec (that module imports TensorFlow)
    for name in _real_classes(args) or ():
        _flag("--real-classes", class_index, name)
    if folder:
        _check_synthetic("--real", args.real)  # png:DIR[,label=CLASS], as a png: source
    else:
        _check_dataset("--real", args.real)
    _check_synthetic("--synthetic", args.synthetic)
    _flag("--features", check_feature_spec, args.features)
    if args.cas:
        _flag("--cas-image-size", parse_image_size, args.cas_image_size)
        if folder:
            raise ConfigError(_CAS_NEEDS_SPLITS)


_CAS_NEEDS_SPLITS = ("--cas tests on a held-out real split: give --real a dataset name (its --real-split trains the "
                     "real reference, its --test-split tests both)")


def _synthetic_images(sources, n: int, seed: int):
    """``n`` images split evenly over the sources (the first takes the remainder), at the first one's size."""
    import numpy as np

    from tfskin.evaluation.real_data import resize_images

    counts = [n // len(sources) + (i < n % len(sources)) for i in range(len(sources))]
    parts = [source.sample(count, seed=seed)["image"] for source, count in zip(sources, counts) if count]
    size = parts[0].shape[1:3]
    return np.concatenate([resize_images(part, size) for part in parts])


def _cmd_metrics(args):
    from tfskin import color_stats
    from tfskin.evaluation import generative, memorization
    from tfskin.evaluation.features import make_feature_network
    from tfskin.evaluation.real_data import is_folder_spec, load_real, resize_images
    from tfskin.sources import make_source

    sources = [make_source(spec) for spec in args.synthetic]
    classes = _real_classes(args)
    synthetic = _synthetic_images(sources, args.n, args.seed)
    size = synthetic.shape[1:3]
    real_name = args.real if is_folder_spec(args.real) else f"{args.real}/{args.real_split}"
    if classes:
        real_name += f" (classes {','.join(classes)})"
    real = load_real(args.real, args.real_split, size, num_examples=args.n_real or args.n, seed=args.seed,
                     classes=classes)["image"]
    net = make_feature_network(args.features)
    f_real, f_syn = net(real), net(synthetic)
    result = {"real": real_name, "synthetic": " + ".join(source.describe() for source in sources),
              "generative": {**generative.generative_metrics(
                  f_real, f_syn, feature_network=net.name, comparable_to_papers=net.comparable_to_papers,
                  kid_subsets=args.kid_subsets, kid_subset_size=args.kid_subset_size, k=args.k, seed=args.seed),
                  **{k: v for k, v in net.describe().items() if k not in ("feature_network", "comparable_to_papers")}},
              "colour": color_stats.colour_distances(real, synthetic)}
    if not args.no_memorization and is_folder_spec(args.real):
        result["memorization"] = {"skipped": "--real is a folder: no held-out split to compare with"}
    elif not args.no_memorization:
        test = load_real(args.real, args.test_split, size, num_examples=min(len(real), args.n),
                         seed=args.seed, classes=classes)["image"]
        out = Path(args.out).with_suffix("") if args.out else Path("evaluation")
        mem = memorization.memorization_report(real, synthetic, resize_images(test, size), feature_network=net,
                                               closest_pairs_png=Path(str(out) + "_closest_pairs.png"))
        for space in ("pixel", "feature"):
            if space in mem:  # the full per-sample lists stay out; flagged and closest samples are kept
                mem[space].pop("nearest_train_index")
                mem[space].pop("distance")
        result["memorization"] = mem
    if args.cas:
        result["cas"] = _cas(args, sources, classes)
    g = result["generative"]
    print(f"feature network: {g['feature_network']} (comparable to papers: {g['comparable_to_papers']}"
          + (f"; {g['comparability_note']}" if g.get("comparability_note") else "") + ")")
    if g["feature_network"].startswith("pixels"):
        print("  (pixel features see colours and layout, not lesion structure; for domain features pass "
              "--features classifier:DIR, a tfskin classifier trained on your data: the offline choice when no "
              "Inception weights are at hand)")
    print(f"FID {g['fid']:.3f}  KID {g['kid']:.5f} ± {g['kid_std']:.5f} (std over {g['num_subsets']} subsets of "
          f"{g['subset_size']}, seed {g['kid_seed']})  precision {g['precision']:.3f}  recall {g['recall']:.3f}   "
          f"({g['num_real']} real, {g['num_synthetic']} synthetic)")
    c = result["colour"]
    print(f"colour histogram JS divergence {c['js_divergence']['mean']:.4f}  Wasserstein "
          f"{c['wasserstein']['mean']:.3f} (0..255 units)")
    if "memorization" in result and "skipped" in result["memorization"]:
        print(f"memorization: skipped ({result['memorization']['skipped']})")
    elif "memorization" in result:
        for space in ("pixel", "feature"):
            if space in result["memorization"]:
                m = result["memorization"][space]
                print(f"memorization ({space}): median NN distance synthetic {m['synthetic_to_train']['median']:.4f} "
                      f"vs test {m['test_to_train']['median']:.4f}; share below the test 1% quantile "
                      f"{m['share_below_baseline_p01']:.3f}")
                flagged = m["flagged"]
                print(f"  flagged (closer than {flagged['threshold']:.4f}, the test 1% quantile): {flagged['count']}"
                      + "".join(f"\n    synthetic #{f['synthetic_index']} ~ real #{f['nearest_train_index']} "
                                f"(distance {f['distance']:.4f})" for f in flagged["samples"][:10])
                      + ("\n    ... (all in the JSON)" if flagged["count"] > 10 else ""))
        if "closest_pairs_png" in result["memorization"]:
            print(f"closest pairs (synthetic over nearest real): {result['memorization']['closest_pairs_png']}")
    if "cas" in result:
        from tfskin.evaluation.cas import summary_line

        print(summary_line(result["cas"]))
    text = _print_json(result, args.out)
    if args.out:
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def _cas(args, sources, classes) -> dict:
    """``--cas``: the Classification Accuracy Score of the synthetic sources against ``--real``'s splits."""
    from tfskin.evaluation import cas
    from tfskin.evaluation.classifier import ClassifierConfig
    from tfskin.evaluation.real_data import is_folder_spec, load_real

    if is_folder_spec(args.real):
        raise ConfigError(_CAS_NEEDS_SPLITS)
    sampler = cas.ClassSampler(sources, classes)
    size = _image_size(args.cas_image_size)
    # small_cnn as the CPU augmentation protocol trains it (width 16, one-cycle peak 0.01)
    config = ClassifierConfig(task="multiclass", classes=sampler.classes, image_size=size, epochs=args.cas_epochs,
                              width=16, learning_rate=0.01, tta=args.cas_tta, seed=args.seed)
    train = load_real(args.real, args.real_split, size, classes=sampler.classes)
    test = load_real(args.real, args.test_split, size, classes=sampler.classes,
                     num_examples=args.cas_test_examples, seed=args.seed)
    print(f"CAS: training {2 * args.cas_repeats} small_cnn classifiers ({args.cas_per_class} images per class of "
          f"{', '.join(sampler.classes)}, {args.cas_epochs} epochs)", flush=True)
    result = cas.classification_accuracy_score(
        sampler, train, test, trainer=cas.small_cnn_trainer(config), per_class=args.cas_per_class,
        repeats=args.cas_repeats, seed=args.seed, stream=sys.stdout)
    return {**result, "classifier": config.to_dict(), "real": f"{args.real} (train: {args.real_split}, test: "
                                                                f"{args.test_split})"}


def protocol_config(args, load) -> dict:
    """The protocol ``evaluate augmentation`` / ``segmentation`` runs: the file's (read by ``load``), with
    --repeats and --engine applied."""
    cfg = load(args.config)
    if args.repeats:
        cfg["repeats"] = args.repeats
    if args.engine:
        cfg["engine"] = args.engine
    return cfg


def _run_protocol_command(args, load, run, failure_keys):
    """``evaluate augmentation`` / ``segmentation``: load, apply the flags, dry-run or run, print the report."""
    cfg = protocol_config(args, load)
    out = args.out or cfg.get("output") or str(Path("results") / cfg["name"])
    if args.dry_run:
        print(json.dumps(cfg, indent=2))
        print(f"(dry run: {len(cfg['conditions']) * cfg['repeats']} runs, would write to {out})")
        return 0
    summary = run(cfg, out, workers=args.workers)
    print(Path(summary["report"]).read_text().split("## How to read this")[0])
    return 1 if any(summary[key] for key in failure_keys) else 0


def _cmd_augmentation(args):
    from tfskin.evaluation.protocol import load_protocol, run_protocol

    return _run_protocol_command(args, load_protocol, run_protocol, ("failures",))


def _cmd_segmentation(args):
    from tfskin.evaluation.seg_protocol import load_seg_protocol, run_seg_protocol

    return _run_protocol_command(args, load_seg_protocol, run_seg_protocol, ("failures", "runs_failed"))


def register(subparsers):

    parser = subparsers.add_parser("evaluate", help="does synthetic data help? classifiers, segmenters, metrics")
    sub = parser.add_subparsers(dest="evaluate_command", required=True)

    p = sub.add_parser("classify", help="train and evaluate a lesion classifier (optionally with synthetic images)")
    p.add_argument("--data", default="phantoms")
    p.add_argument("--task", choices=TASKS, default="malignant")
    p.add_argument("--classes", help="multiclass: comma-separated class names (default all 8)")
    p.add_argument("--backbone", choices=BACKBONES, default="small_cnn")
    p.add_argument("--weights", default="none", help="none | imagenet | local weights file of the headless backbone")
    p.add_argument("--image-size", default="64")
    p.add_argument("--epochs", type=count_type(1), default=15)
    p.add_argument("--batch-size", type=count_type(1), default=32)
    p.add_argument("--learning-rate", type=_positive, default=3e-3, help="one-cycle peak learning rate")
    p.add_argument("--class-weight", choices=("none", "balanced"), default="none")
    p.add_argument("--tta", type=count_type(1), default=50, help="test-time augmentation replicas")
    p.add_argument("--train-split", default="train")
    p.add_argument("--test-split", default="test")
    p.add_argument("--train-examples", type=count_type(1))
    p.add_argument("--test-examples", type=count_type(1))
    p.add_argument("--data-seed", type=int, default=0)
    p.add_argument("--ood-data", help="also evaluate on this dataset, e.g. phantoms:domain=clinic or derm7pt")
    p.add_argument("--ood-split", default="test")
    p.add_argument("--synthetic", help="add images from SOURCE (run:DIR, savedmodel:DIR, png:DIR[,label=CLASS])")
    p.add_argument("--synthetic-n", type=count_type(1), default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder (metrics.json, plots, classifier/)")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=_cmd_classify, validate=_check_classify)

    p = sub.add_parser("segment", help="train and evaluate a CDNN / U-Net segmenter (optionally two-step with GAN "
                                       "image+mask pairs)")
    p.add_argument("--data", default="phantoms")
    p.add_argument("--arch", default="cdnn0", choices=[*CDNN_VARIANTS, "unet"],
                   help="CDNN variant of Pollastri et al. 2020, Table 1, or unet")
    p.add_argument("--channels", choices=list(CHANNEL_MODES))
    p.add_argument("--loss", choices=SEGMENTATION_LOSSES)
    p.add_argument("--image-size", help="HxW divisible by 16 (default: the variant's)")
    p.add_argument("--width", type=_positive, default=1.0, help="filter multiplier (1.0 = paper size)")
    p.add_argument("--steps", type=count_type(1), default=500, help="real-data training steps")
    p.add_argument("--synthetic", help="4-channel generator SOURCE for the first phase (run:DIR / savedmodel:DIR)")
    p.add_argument("--synthetic-steps", type=count_type(1), default=500)
    p.add_argument("--batch-size", type=count_type(1), default=16)
    p.add_argument("--learning-rate", type=_positive, default=3e-4)
    p.add_argument("--train-split", default="train")
    p.add_argument("--test-split", default="test")
    p.add_argument("--train-examples", type=count_type(1))
    p.add_argument("--test-examples", type=count_type(1))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_segment, validate=_check_segment)

    p = sub.add_parser("metrics", help="FID / KID / precision-recall, colour-histogram distances, memorization, "
                                       "and (--cas) the Classification Accuracy Score")
    p.add_argument("--real", default="phantoms",
                   help="real images: a dataset name (phantoms, isic2019, phantoms:domain=clinic, ...) or a folder "
                        "png:DIR[,label=CLASS] (labelled by class subfolders or labels.csv, as png: sources)")
    p.add_argument("--real-classes", help="keep only these real classes, comma-separated (e.g. MEL), in every "
                                          "real split")
    p.add_argument("--real-split", default="train", help="the split the generator trained on")
    p.add_argument("--test-split", default="test", help="held-out real split (memorization baseline, CAS test)")
    p.add_argument("--synthetic", required=True, action="append",
                   help="SOURCE: run:DIR, savedmodel:DIR, png:DIR or serving:URL (,label=CLASS optional); repeat it "
                        "to pool sources, e.g. one per class for --cas (--n is split evenly among them)")
    p.add_argument("--n", type=count_type(1), default=1000, help="synthetic samples")
    p.add_argument("--n-real", type=count_type(1), help="real samples (default: --n)")
    p.add_argument("--features", default="pixels:32",
                   help="inception-graph:classify_image_graph_def.pb (paper-comparable) | keras-inception-v3[:WEIGHTS] "
                        "| classifier:DIR (domain features of a tfskin classifier: the offline choice when no "
                        "Inception weights are at hand) | pixels[:SIZE] (default pixels:32)")
    p.add_argument("--kid-subset-size", type=count_type(1),
                   help="KID subset size (default min(1000, n/2), so subsets differ)")
    p.add_argument("--kid-subsets", type=count_type(1), default=100, help="number of KID subsets (drawn with --seed)")
    p.add_argument("--k", type=count_type(1), default=3, help="k of the k-NN precision/recall manifolds")
    p.add_argument("--no-memorization", action="store_true")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic samples and the KID subsets")
    p.add_argument("--out", help="JSON file to write (the closest-pairs PNG goes next to it)")
    g = p.add_argument_group("Classification Accuracy Score (--cas): classifiers trained on synthetic vs real "
                             "images of each class, tested on --test-split")
    g.add_argument("--cas", action="store_true", help="also compute the CAS (classes: --real-classes, else the "
                                                     "classes the synthetic sources draw)")
    g.add_argument("--cas-per-class", type=count_type(1), default=100,
                   help="training images per class, synthetic and real")
    g.add_argument("--cas-repeats", type=count_type(1), default=3, help="repeats (new draws and classifier seeds)")
    g.add_argument("--cas-epochs", type=count_type(1), default=10, help="small_cnn training epochs")
    g.add_argument("--cas-image-size", default="32", help="classifier input size (N or HxW)")
    g.add_argument("--cas-tta", type=count_type(1), default=1, help="test-time augmentation replicas (1 = off)")
    g.add_argument("--cas-test-examples", type=count_type(1),
                   help="cap on the real test images (default: all of the split)")
    p.set_defaults(func=_cmd_metrics, validate=_check_metrics)

    p = sub.add_parser("augmentation", help="run an augmentation protocol (repeated runs, paired tests, report)")
    p.add_argument("config", help="protocol YAML, e.g. configs/augmentation_phantoms_cpu.yaml")
    p.add_argument("--out", help="output folder (default: the config's output, else results/<name>)")
    p.add_argument("--workers", type=count_type(1), help="parallel processes (default: the config's)")
    p.add_argument("--repeats", type=count_type(1), help="override the number of repeats")
    p.add_argument("--engine", choices=ENGINES,
                   help="override the config's engine: reuse (one traced model per shape, reset per run) or single "
                        "(a fresh model per run); the same numbers either way")
    p.add_argument("--dry-run", action="store_true", help="print the resolved protocol and exit")
    p.set_defaults(func=_cmd_augmentation, validate=_check_protocol)

    p = sub.add_parser("segmentation", help="run a segmentation protocol (real-only vs two-step training, repeated "
                                            "runs, paired tests, ensembles, report)")
    p.add_argument("config", help="protocol YAML, e.g. configs/segmentation_phantoms_cpu.yaml")
    p.add_argument("--out", help="output folder (default: the config's output, else results/<name>)")
    p.add_argument("--workers", type=count_type(1), help="parallel processes (default: the config's)")
    p.add_argument("--repeats", type=count_type(1), help="override the number of repeats")
    p.add_argument("--engine", choices=ENGINES,
                   help="override the config's engine: reuse (one traced model per shape, reset per run) or single "
                        "(a fresh model per run); the same numbers either way")
    p.add_argument("--dry-run", action="store_true", help="print the resolved protocol and exit")
    p.set_defaults(func=_cmd_segmentation, validate=_check_protocol)
