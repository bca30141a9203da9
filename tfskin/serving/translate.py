"""``tfskin translate``: a folder of images through an image-to-image model, from a run, a SavedModel or an
endpoint. CycleGAN (``translate_a_to_b`` / ``translate_b_to_a``) answers at each image's own size; pix2pixHD
(``synthesize``) takes label maps (+ instance maps) at its training size. Outputs keep the input file names
(as PNG); a before | after grid goes beside the folder, not in it (``--out DIR`` -> ``DIR.grid.png``), so the
folder holds only translations of one kind and ``--synthetic png:DIR`` reads it back.
"""

import sys
from pathlib import Path

import numpy as np

from tfskin.errors import BadInputError
from tfskin.imaging import grid_path
from tfskin.serving.errors import ServingError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
# Label-map colours for the grid (ids 0..7: padding, skin, lesion, then the five ISIC 2018 attributes).
PALETTE = np.array([[0, 0, 0], [230, 190, 160], [120, 70, 40], [200, 40, 40], [40, 160, 60], [60, 90, 220],
                    [230, 210, 40], [170, 60, 200]], np.uint8)


class Caller:
    """Signature name -> function of NumPy inputs returning NumPy outputs."""

    def __init__(self, functions: dict, describe: str):
        self.functions = functions
        self.description = describe

    def names(self):
        return set(self.functions)

    def __call__(self, name, inputs: dict) -> dict:
        return self.functions[name](inputs)


def functions_caller(functions: dict, describe: str) -> Caller:
    """From plain TF functions (``model.export_signatures()`` of a run, or a loaded SavedModel's signatures)."""
    import tensorflow as tf

    def wrap(fn):
        def call(inputs):
            out = fn(**{k: tf.constant(v) for k, v in inputs.items()})
            return {k: v.numpy() for k, v in out.items()}
        return call

    return Caller({name: wrap(fn) for name, fn in functions.items()}, describe)


def savedmodel_caller(path) -> Caller:
    import tensorflow as tf

    path = Path(path)
    if not (path / "saved_model.pb").is_file():
        versions = sorted((p for p in path.glob("*") if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
        if not versions or not (versions[-1] / "saved_model.pb").is_file():
            raise BadInputError(f"no SavedModel in {path} (expected saved_model.pb or numbered version folders)")
        path = versions[-1]
    loaded = tf.saved_model.load(str(path))
    caller = functions_caller(dict(loaded.signatures), f"SavedModel {path}")
    caller._loaded = loaded  # keep the variables alive
    return caller


def serving_caller(url: str) -> Caller:
    from tfskin.serving.client import ServingClient

    client = ServingClient(url)
    names = client.signatures()
    return Caller({name: (lambda inputs, name=name: client.predict(name, inputs)) for name in names},
                  f"TF Serving {url}")


def warn(message: str) -> None:
    """A skipped input, said on one line of stderr: the command goes on with the others."""
    print(f"tfskin translate: warning: {message}", file=sys.stderr, flush=True)


def _names(paths, limit: int = 5) -> str:
    names = [Path(p).name for p in paths]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _images_in(folder) -> list:
    """The image files of ``folder`` (by suffix); other files are reported as skipped, hidden files ignored."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInputError(f"input folder {folder} not found")
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    others = [p for p in entries if p not in files]
    if not files:
        raise BadInputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    if others:
        warn(f"skipped {len(others)} file(s) that are not {'/'.join(IMAGE_SUFFIXES)} images in {folder}: "
             f"{_names(others)}")
    return files


def _reason(err: Exception) -> str:
    """The line of a TensorFlow error that says what was wrong (not "Graph execution error:" or node names)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Graph execution error", "Detected at node", "<stack",
                                                             "[[", "(most recent"))]
    return (useful or lines or [type(err).__name__])[0][:200]


def _refused(err: Exception) -> bool:
    """Whether the model refused these inputs (TF's InvalidArgumentError locally, HTTP 400 / INVALID_ARGUMENT
    from an endpoint), as opposed to a failure of the endpoint or a bug."""
    if isinstance(err, ServingError):
        return "HTTP 400" in str(err) or "INVALID_ARGUMENT" in str(err)
    return type(err).__name__ == "InvalidArgumentError"


def _read_rgb(path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as err:
        raise BadInputError(f"cannot read image {path}: {err}") from None


def _read_ids(path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            arr = np.asarray(im)
    except OSError as err:
        raise BadInputError(f"cannot read map {path}: {err}") from None
    if arr.ndim == 3:
        arr = arr[..., 0]
    return arr.astype(np.int32)


def _out_name(path: Path) -> str:
    return path.name if path.suffix.lower() == ".png" else path.stem + ".png"


def _png_bytes(image: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def _decode(blob) -> np.ndarray:
    from tfskin.serving.client import decode_pngs

    return decode_pngs([blob])[0]


def _thumb(image: np.ndarray, size: int = 128) -> np.ndarray:
    from PIL import Image

    im = Image.fromarray(image)
    im.thumbnail((size, size))
    canvas = np.full((size, size, 3), 255, np.uint8)
    arr = np.asarray(im.convert("RGB"))
    canvas[:arr.shape[0], :arr.shape[1]] = arr
    return canvas


def write_grid(pairs, out: Path, limit: int = 32) -> Path:
    """Before | after pairs, four pairs a row, at ``grid_path(out)``."""
    from tfskin.imaging import save_png, tile

    tiles = [np.concatenate([_thumb(a), _thumb(b)], axis=1) for a, b in pairs[:limit]]
    return save_png(tile(np.stack(tiles), columns=4), grid_path(out))


def translate_folder(caller: Caller, input_dir, out_dir, direction: str = "a2b", batch_size: int = 8) -> list:
    """CycleGAN: translate every image in ``input_dir``; images of one size go in one request."""
    name = "translate_a_to_b" if direction == "a2b" else "translate_b_to_a"
    if name not in caller.names():
        raise BadInputError(f"{caller.description} has no {name} signature (it has "
                            f"{', '.join(sorted(caller.names()))}); --input is for CycleGAN exports")
    png = name + "_png" in caller.names() and caller.description.startswith("TF Serving")
    files = _images_in(input_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = {}
    unreadable = []
    for f in files:
        try:
            images[f] = _read_rgb(f)
        except BadInputError:
            unreadable.append(f)
    if unreadable:
        warn(f"skipped {len(unreadable)} file(s) that could not be read as images: {_names(unreadable)}")
    by_size: dict = {}
    for f in images:
        by_size.setdefault(images[f].shape, []).append(f)
    results = {}
    for shape, group in by_size.items():
        for start in range(0, len(group), batch_size):
            chunk = group[start:start + batch_size]
            try:
                translated = _translate_chunk(caller, name, [images[f] for f in chunk], png)
            except Exception as err:  # the model cannot take this size (e.g. 1x1: too small to reflect-pad)
                if not _refused(err):
                    raise
                reason = _reason(err)
                warn(f"skipped {len(chunk)} image(s) of {shape[0]}x{shape[1]} that {caller.description} refused "
                     f"({reason}): {_names(chunk)}")
                continue
            for f, t in zip(chunk, translated):
                results[f] = t
    if not results:
        raise BadInputError(f"no image in {input_dir} could be translated (see the warnings above)")
    from tfskin.imaging import save_png

    pairs = []
    for f in files:
        if f in results:
            save_png(results[f], out / _out_name(f))
            pairs.append((images[f], results[f]))
    write_grid(pairs, out)
    return [out / _out_name(f) for f in files if f in results]


def _translate_chunk(caller: Caller, name: str, chunk: list, png: bool) -> list:
    """Images of one size -> translated uint8 images, through the float or the PNG signature."""
    if png:  # REST: send and receive PNG bytes instead of float JSON
        blobs = np.empty(len(chunk), dtype=object)
        blobs[:] = [_png_bytes(image) for image in chunk]
        answer = caller(name + "_png", {"image_png": blobs})["image_png_bytes"]
        return [_decode(b) for b in answer]
    from tfskin.imaging import to_uint8

    answer = caller(name, {"image": np.stack(chunk).astype(np.float32) / 255.0})
    return list(to_uint8(answer["image"]))


def synthesize_folder(caller: Caller, label_dir, out_dir, instance_dir=None, batch_size: int = 8) -> list:
    """pix2pixHD: one image per label map (ids 0..7), with the instance map of the same name when the model
    takes one."""
    from tfskin.imaging import save_png, to_uint8

    if "synthesize" not in caller.names():
        raise BadInputError(f"{caller.description} has no synthesize signature; --label-maps is for pix2pixHD")
    files = _images_in(label_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    maps = {f: _read_ids(f) for f in files}
    bad = [f.name for f, m in maps.items() if m.min() < 0 or m.max() > 7]
    if bad:
        raise BadInputError(f"label maps must hold class ids 0..7; {', '.join(bad[:3])} do not")
    instances = None
    if instance_dir is not None:
        instances = {}
        for f in files:
            candidate = Path(instance_dir) / f.name
            if not candidate.is_file():
                raise BadInputError(f"no instance map {candidate} for label map {f}")
            instances[f] = _read_ids(candidate)
    shapes = {m.shape for m in maps.values()}
    if len(shapes) > 1:
        raise BadInputError(f"label maps in {label_dir} have different sizes {sorted(shapes)[:3]}")
    results = {}
    for start in range(0, len(files), batch_size):
        chunk = files[start:start + batch_size]
        inputs = {"label_map": np.stack([maps[f] for f in chunk])}
        if instances is not None:
            inputs["instance_map"] = np.stack([instances[f] for f in chunk])
        try:
            answer = caller("synthesize", inputs)
        except ServingError:
            raise
        except Exception as err:  # e.g. the model takes instance maps and none were given, or a size mismatch
            raise BadInputError(f"{caller.description} refused the label maps: {str(err).splitlines()[0]}") from None
        for f, image in zip(chunk, to_uint8(answer["image"])):
            results[f] = image
    pairs = []
    for f in files:
        save_png(results[f], out / _out_name(f))
        pairs.append((PALETTE[np.clip(maps[f], 0, 7)], results[f]))
    write_grid(pairs, out)
    return [out / _out_name(f) for f in files]


def run_translate(args, caller: Caller = None) -> int:
    """The CLI command; ``caller`` is given for --run (built by the CLI layer from the run's model)."""
    if caller is None:
        caller = savedmodel_caller(args.savedmodel) if args.savedmodel else serving_caller(args.serving)
    if args.input:
        written = translate_folder(caller, args.input, args.out, direction=args.direction,
                                   batch_size=args.batch_size)
    else:
        written = synthesize_folder(caller, args.label_maps, args.out, instance_dir=args.instance_maps,
                                    batch_size=args.batch_size)
    print(f"wrote {len(written)} images to {args.out} (grid: {grid_path(args.out)}) with "
          f"{caller.description}")
    return 0
