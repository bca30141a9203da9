"""Where synthetic images come from: a run directory, an exported SavedModel, a folder of PNGs or a TF Serving
endpoint, all behind one small interface so evaluators (and CycleGAN's generator domains) never care which.

``make_source("run:runs/dcgan-mel")``, ``make_source("savedmodel:export/models/dcgan/1,label=MEL")``,
``make_source("png:samples/")`` or a dict ``{"type": "png", "path": "samples/", "label": "MEL"}``.

``source.sample(n, seed)`` returns a dict of NumPy arrays:

* ``image``: uint8 (n, H, W, 3)
* ``label``: int64 (n,), index into ``tfskin.classes.CLASS_NAMES``; -1 where the source cannot say
* ``mask``: uint8 (n, H, W, 1) 0/255, only when ``source.has_masks``

``source.classes`` names the classes the source draws from (a run trained on ``--classes MEL`` draws MEL), so a
task can map them (e.g. to benign/malignant) even when single labels are unknown. The same (n, seed) always
gives the same images. To add a scheme (``serving:URL``), subclass :class:`SyntheticSource` and register it
with :func:`register_scheme`; nothing else changes. :func:`check_spec` checks a spec without loading anything;
importing this module does not import TensorFlow (the sources that need it import it when built).
"""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from tfskin.classes import CLASS_NAMES, class_index
from tfskin.errors import BadInputError, ConfigError, MissingFileError
from tfskin.imaging import save_png, to_uint8
from tfskin.serving.batching import MAX_BATCH_SIZE
from tfskin.serving.client import ServingGenerator, parse_url, split_options

_SCHEMES: dict = {}
SEED_MODULUS = 2 ** 31


def register_scheme(name: str):
    def decorator(cls):
        _SCHEMES[name] = cls
        return cls

    return decorator


def scheme_names() -> list:
    return sorted(_SCHEMES)


def _maskto_uint8(m) -> np.ndarray:
    m = np.asarray(m)
    if m.ndim == 3:
        m = m[..., np.newaxis]
    if m.dtype == np.uint8:
        return np.where(m >= 128, 255, 0).astype(np.uint8)
    return np.where(m > 0.5, 255, 0).astype(np.uint8)


class SyntheticSource:
    """Base class: ``sample(n, seed)`` -> dict(image, label, [mask]); see the module docstring."""

    scheme = "base"
    has_masks = False
    classes: tuple = ()  # class names the source draws from (empty: unknown)

    @classmethod
    def check_path(cls, path):
        """Raise the ``UserError`` that building this source from ``path`` would, where that needs no loading
        (a local folder that is missing); nothing for a path only a connection can check."""

    def __init__(self, label: str = None):
        self.fixed_label = class_index(label) if label else None
        if label:
            self.classes = (CLASS_NAMES[self.fixed_label],)

    def _draw(self, n: int, seed: int) -> dict:
        raise NotImplementedError

    def sample(self, n: int, seed: int = 0) -> dict:
        n = int(n)
        if n < 0:
            raise BadInputError(f"cannot sample {n} images: the count must be >= 1")
        # Seeds are reduced to 31 bits: callers derive them by hashing and multiplying (a segmenter's step seed,
        # a protocol repeat's), and the generators' own arithmetic must stay inside int64 for keras.random.
        out = self._draw(n, int(seed) % SEED_MODULUS) if n else self._empty()
        out["image"] = to_uint8(out["image"])
        if "mask" in out:
            out["mask"] = _maskto_uint8(out["mask"])
        if self.fixed_label is not None:
            out["label"] = np.full(n, self.fixed_label, np.int64)
        elif "label" not in out:
            default = class_index(self.classes[0]) if len(self.classes) == 1 else -1
            out["label"] = np.full(n, default, np.int64)
        out["label"] = np.asarray(out["label"], np.int64)
        return out

    def _empty(self) -> dict:
        one = self._draw(1, 0)
        return {k: v[:0] for k, v in one.items()}

    def describe(self) -> str:
        return self.scheme


class ArraySource(SyntheticSource):
    """In-memory images (tests, or real images standing in as a source): draws rows without replacement while
    it can, with replacement beyond."""

    scheme = "array"

    def __init__(self, image, label=None, mask=None, name: str = "arrays"):
        super().__init__()
        self.arrays = {"image": np.asarray(image)}
        if label is not None:
            self.arrays["label"] = np.asarray(label, np.int64)
            self.classes = tuple(CLASS_NAMES[i] for i in np.unique(self.arrays["label"]) if i >= 0)
        if mask is not None:
            self.arrays["mask"] = np.asarray(mask)
            self.has_masks = True
        self.name = name

    def __len__(self):
        return len(self.arrays["image"])

    def _draw(self, n, seed):
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(self), n, replace=n > len(self))
        return {k: v[idx] for k, v in self.arrays.items()}

    def describe(self):
        return f"{self.name} ({len(self)} images)"


def _run_classes(run_dir: Path) -> tuple:
    from tfskin.runs import read_run_config  # TensorFlow: imported on use, so specs are checked without it

    config = read_run_config(run_dir)
    return tuple(config.data.classes or ())


@register_scheme("run")
class RunDirSource(SyntheticSource):
    """A tfskin run directory: the latest checkpoint's generator, sampled through ``model.sample``."""

    scheme = "run"

    @classmethod
    def check_path(cls, path):
        if not (Path(path) / "config.json").is_file():
            raise MissingFileError(f"{path} is not a tfskin run directory (no config.json)")

    def __init__(self, path, label: str = None, batch_size: int = 256):
        from tfskin.runs import load_trained_model  # TensorFlow: imported on use

        self.check_path(path)
        self.path = Path(path)
        self.config, self.model = load_trained_model(self.path)
        self.classes = tuple(self.config.data.classes or ())
        super().__init__(label)
        self.has_masks = getattr(self.config.data, "channels", 3) == 4
        self.batch_size = batch_size

    @property
    def conditional(self) -> bool:
        """Whether the model's ``sample`` takes a class (ACGAN, conditional progressive GAN)."""
        return self.model.conditional

    def _draw(self, n, seed):
        kwargs = {}
        if self.fixed_label is not None and self.conditional:
            kwargs["label"] = CLASS_NAMES[self.fixed_label]  # draw that class, not just tag samples with it
        parts = []
        for k, start in enumerate(range(0, n, self.batch_size)):
            parts.append(self.model.sample(min(self.batch_size, n - start), seed=seed * 7919 + k, **kwargs))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def describe(self):
        classes = ",".join(self.classes) or "all classes"
        return f"run {self.path} ({self.config.model}/{self.config.preset}, {classes})"


def _latest_version(path: Path) -> Path:
    if (path / "saved_model.pb").is_file():
        return path
    versions = sorted((p for p in path.glob("*") if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
    if versions and (versions[-1] / "saved_model.pb").is_file():
        return versions[-1]
    raise MissingFileError(f"no SavedModel in {path} (expected saved_model.pb or numbered version folders)")


@register_scheme("savedmodel")
class SavedModelSource(SyntheticSource):
    """An exported tfskin SavedModel (signature ``generate``: noise -> image [0, 1], optional mask). A model
    folder with numbered versions uses the highest one. When the export sits inside a run directory, the run's
    classes are read from its config.json."""

    scheme = "savedmodel"

    @classmethod
    def check_path(cls, path):
        _latest_version(Path(path))

    def __init__(self, path, label: str = None, signature: str = "generate", batch_size: int = 256):
        import tensorflow as tf

        self.path = _latest_version(Path(path))
        loaded = tf.saved_model.load(str(self.path))
        if signature not in loaded.signatures:
            raise BadInputError(f"{self.path} has no signature {signature!r}; it has {', '.join(loaded.signatures)}")
        self._loaded = loaded  # keep the object alive: the signature references its variables
        self.fn = loaded.signatures[signature]
        inputs = self.fn.structured_input_signature[1]
        if "noise" not in inputs:
            raise BadInputError(f"signature {signature!r} takes {', '.join(inputs)}, not noise")
        self.latent_dim = int(inputs["noise"].shape[-1])
        self.has_masks = "mask" in self.fn.structured_outputs
        for parent in list(self.path.parents)[:4]:
            if (parent / "config.json").is_file():
                try:
                    self.classes = _run_classes(parent)
                except Exception:  # an unrelated config.json: classes stay unknown
                    pass
                break
        super().__init__(label)
        self.conditional = "label" in inputs
        if self.conditional and self.fixed_label is None:
            raise ConfigError(f"SavedModel {self.path} is class-conditional (its signature takes a label): "
                              f"name the class, e.g. savedmodel:{path},label=MEL")
        self.batch_size = batch_size

    def _draw(self, n, seed):
        import tensorflow as tf

        noise = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        parts = []
        for start in range(0, n, self.batch_size):
            chunk = {"noise": tf.constant(noise[start:start + self.batch_size])}
            if self.conditional:  # exported conditional generators take ISIC 2019 class indices
                chunk["label"] = tf.fill([chunk["noise"].shape[0]], tf.constant(self.fixed_label, tf.int32))
            out = self.fn(**chunk)
            parts.append({k: out[k].numpy() for k in ("image", "mask") if k in out})
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def describe(self):
        return f"SavedModel {self.path}"


@register_scheme("png")
class PngFolderSource(SyntheticSource):
    """A folder of PNGs as ``tfskin sample`` writes them (``x.png`` with optional ``x_mask.png``). Labels come
    from a class-named subfolder (``DIR/MEL/x.png``), from ``labels.csv`` (``filename,label`` rows) or from the
    ``label`` argument. ``*.grid.png`` files (``tfskin translate``'s grids) are not samples. Draws without
    replacement while it can."""

    scheme = "png"

    @classmethod
    def check_path(cls, path):
        if not Path(path).is_dir():
            raise MissingFileError(f"PNG folder {path} not found")

    def __init__(self, path, label: str = None):
        self.check_path(path)
        self.path = Path(path)
        self.files = sorted(p for p in self.path.rglob("*.png")
                            if not p.stem.endswith("_mask") and not p.name.endswith(".grid.png"))
        if not self.files:
            raise MissingFileError(f"no PNG images in {self.path}")
        self.has_masks = all(p.with_name(p.stem + "_mask.png").is_file() for p in self.files)
        csv_labels = {}
        csv = self.path / "labels.csv"
        if csv.is_file():
            for line in csv.read_text().splitlines():
                name, _, value = line.partition(",")
                if value.strip() and name.strip().lower() not in ("filename", "file", "image"):
                    csv_labels[name.strip()] = class_index(value.strip())
        self.labels = np.array([csv_labels.get(p.name, csv_labels.get(p.stem, self._folder_label(p)))
                                for p in self.files], np.int64)
        self.classes = tuple(CLASS_NAMES[i] for i in np.unique(self.labels) if i >= 0)
        super().__init__(label)

    def _folder_label(self, path: Path) -> int:
        if path.parent != self.path and path.parent.name.upper() in CLASS_NAMES:
            return CLASS_NAMES.index(path.parent.name.upper())
        return -1

    def __len__(self):
        return len(self.files)

    def _draw(self, n, seed):
        idx = np.random.default_rng(seed).choice(len(self.files), n, replace=n > len(self.files))
        images, masks = [], []
        for i in idx:
            images.append(_read_png(self.files[i], "RGB"))
            if self.has_masks:
                masks.append(_read_png(self.files[i].with_name(self.files[i].stem + "_mask.png"), "L"))
        shapes = {a.shape for a in images}
        if len(shapes) > 1:
            raise BadInputError(f"PNGs in {self.path} have different sizes {sorted(shapes)[:3]}; resize them first")
        out = {"image": np.stack(images), "label": self.labels[idx]}
        if self.has_masks:
            out["mask"] = np.stack(masks)[..., np.newaxis]
        return out

    def describe(self):
        return f"PNG folder {self.path} ({len(self.files)} images)"


@register_scheme("serving")
class ServingSource(SyntheticSource):
    """A TF Serving endpoint (``tfskin serve`` or ``tensorflow_model_server``):
    ``serving:http://HOST:8501/v1/models/NAME[/versions/N|/labels/L][,signature=generate][,label=MEL]`` or
    ``serving:grpc://HOST:8500/NAME[...]``. Same images as ``savedmodel:`` for the same seed (the client in
    ``tfskin.serving.client`` draws the same noise and prefers the PNG-only ``generate_png`` signature)."""

    scheme = "serving"
    options = ("signature", "label", "batch_size")

    @classmethod
    def check_path(cls, path):
        url, options = cls._url_and_options(path)
        parse_url(url)
        if options.get("label"):
            class_index(options["label"])

    @classmethod
    def _url_and_options(cls, path) -> tuple:
        url, options = split_options(str(path))  # parse_spec leaves a URL's options on it
        unknown = set(options) - set(cls.options)
        if unknown:
            raise ConfigError(f"unknown serving source option(s) {', '.join(sorted(unknown))}; valid: "
                              f"{', '.join(cls.options)}")
        return url, options

    def __init__(self, path, label: str = None, signature: str = None, batch_size: int = None):
        url, options = self._url_and_options(path)
        label = label or options.get("label") or None
        signature = signature or options.get("signature") or "generate"
        batch_size = int(batch_size or options.get("batch_size") or MAX_BATCH_SIZE)
        if label:
            class_index(label)  # a bad class name fails before the endpoint is contacted
        self.url = url
        self.generator = ServingGenerator(url, signature=signature, batch_size=batch_size)
        self.has_masks = self.generator.has_masks
        self.classes = self.generator.classes
        super().__init__(label)
        if self.generator.conditional and self.fixed_label is None:
            raise ConfigError(f"{url} is class-conditional (its signature takes a label): name the class, "
                              f"e.g. serving:{url},label=MEL")

    def _draw(self, n, seed):
        return self.generator.sample(n, seed, label_index=self.fixed_label)

    def describe(self):
        png = ", PNG signature" if self.generator.use_png else ""
        return f"TF Serving {self.url} ({self.generator.signature}{png})"


@register_scheme("alternate")
class AlternatingSource(SyntheticSource):
    """Several sources taking turns batch by batch (Pollastri et al. 2020's "Both GANs": the first training phase
    alternates the DCGAN and the LAPGAN): ``sample(n, seed)`` draws the whole batch from source ``seed % k``, so
    consecutive seeds (a segmenter's step seeds) alternate. ``path`` joins the sources' specs with ``|``
    (``{"type": "alternate", "path": "run:gans/dcgan|run:gans/lapgan"}``) or is a list of specs or sources."""

    scheme = "alternate"

    @classmethod
    def check_path(cls, path):
        for part in path if isinstance(path, (list, tuple)) else [p for p in str(path).split("|") if p]:
            if not isinstance(part, SyntheticSource):
                check_spec(part)

    def __init__(self, path, label: str = None):
        parts = path if isinstance(path, (list, tuple)) else [p for p in str(path).split("|") if p]
        self.parts = [p if isinstance(p, SyntheticSource) else make_source(p) for p in parts]
        if len(self.parts) < 2:
            raise ConfigError(f"an alternating source needs two or more sources joined by '|', got {path!r}")
        self.has_masks = all(part.has_masks for part in self.parts)
        self.classes = tuple(sorted({c for part in self.parts for c in part.classes}))
        super().__init__(label)

    def _draw(self, n, seed):
        return self.parts[seed % len(self.parts)].sample(n, seed)

    def describe(self):
        return "alternating " + " | ".join(part.describe() for part in self.parts)


def parse_spec(spec) -> dict:
    """``"scheme:PATH[,key=value...]"`` or a dict -> {"type", "path", **options}."""
    if isinstance(spec, dict):
        values = dict(spec)
        if "type" not in values or "path" not in values:
            raise ConfigError(f"a synthetic source needs 'type' and 'path', got {sorted(values)}")
        return values
    text = str(spec)
    scheme, sep, rest = text.partition(":")
    if not sep or not rest:
        raise ConfigError(f"synthetic source {text!r} is not SCHEME:PATH; schemes: {', '.join(scheme_names())}")
    path, *options = rest.split(",") if scheme != "serving" else (rest,)
    values = {"type": scheme, "path": path}
    for option in options:
        key, eq, value = option.partition("=")
        if not eq:
            raise ConfigError(f"source option {option!r} in {text!r} is not key=value")
        values[key.strip()] = value.strip()
    return values


def _scheme_and_values(spec) -> tuple:
    """(source class, path, options) of a spec, with the scheme, the option names and the class name checked."""
    values = parse_spec(spec)
    kind = values.pop("type")
    try:
        cls = _SCHEMES[kind]
    except KeyError:
        raise ConfigError(f"unknown synthetic source type {kind!r}; valid: {', '.join(scheme_names())}") from None
    path = values.pop("path")
    unknown = set(values) - {"label"}
    if unknown:
        raise ConfigError(f"unknown source option(s) {', '.join(sorted(unknown))}; valid: label")
    if values.get("label"):
        class_index(values["label"])  # fail on a bad class name before loading anything
    return cls, path, values


def check_spec(spec) -> None:
    """Raise the ``UserError`` that ``make_source(spec)`` would for a malformed spec, an unknown scheme, option
    or class, or a local folder that is missing, without loading anything (no TensorFlow): for checking a
    command's flags before the work starts."""
    cls, path, _ = _scheme_and_values(spec)
    cls.check_path(path)


def make_source(spec) -> SyntheticSource:
    """Build a source from ``run:DIR``, ``savedmodel:DIR``, ``png:DIR`` (``,label=MEL`` optional) or a dict."""
    cls, path, values = _scheme_and_values(spec)
    return cls(path, **values)


def _read_png(path: Path, mode: str) -> np.ndarray:
    """One image of a PNG folder as an array; a file that is not a readable image is named."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert(mode))
    except (OSError, Image.UnidentifiedImageError) as err:  # PIL raises UnidentifiedImageError (an OSError)
        raise BadInputError(f"{path} is not a readable image ({type(err).__name__})") from None


def source_summary(source: SyntheticSource) -> dict:
    return {"source": source.describe(), "classes": list(source.classes), "has_masks": source.has_masks}


def write_source_sample(source: SyntheticSource, n: int, out_dir, seed: int = 0) -> Path:
    """Write ``n`` samples as PNGs (+ masks, + labels.csv), a folder ``png:`` reads back."""
    out = Path(out_dir)
    batch = source.sample(n, seed)
    rows = ["filename,label"]
    for i, image in enumerate(batch["image"]):
        save_png(image, out / f"sample_{i:05d}.png")
        if "mask" in batch:
            save_png(batch["mask"][i], out / f"sample_{i:05d}_mask.png")
        if batch["label"][i] >= 0:
            rows.append(f"sample_{i:05d}.png,{CLASS_NAMES[batch['label'][i]]}")
    (out / "labels.csv").write_text("\n".join(rows) + "\n")
    (out / "source.json").write_text(json.dumps(source_summary(source), indent=2))
    return out
