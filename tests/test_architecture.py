"""The package's import graph: imports point one way (cli -> reproduce -> evaluation -> pipelines -> training
-> models -> gan -> ... -> data -> layers -> the base modules), never in a circle; adding a model is one folder and one
registration line."""

import ast
import dataclasses
from pathlib import Path

import pytest

import tfskin

PACKAGE = Path(tfskin.__file__).parent

# Layers from the bottom up: a module may import its own layer and the layers below it, never one above.
LAYERS = (
    ("base", ("tfskin", "tfskin.errors", "tfskin.config", "tfskin.registry", "tfskin.runtime", "tfskin.classes",
              "tfskin.machine")),
    ("primitives", ("tfskin.layers", "tfskin.losses", "tfskin.imaging", "tfskin.color_stats", "tfskin.diversity")),
    ("data", ("tfskin.data",)),
    ("infrastructure", ("tfskin.callbacks", "tfskin.checkpointing", "tfskin.serving")),
    ("runs", ("tfskin.runs", "tfskin.sources", "tfskin.saved_classifier")),
    ("inputs", ("tfskin.inputs",)),
    ("gan", ("tfskin.gan",)),
    ("models", ("tfskin.models",)),
    ("training", ("tfskin.training",)),
    ("pipelines", ("tfskin.pipelines",)),
    ("evaluation", ("tfskin.evaluation",)),
    ("reproduce", ("tfskin.reproduce",)),
)
CLI = len(LAYERS)  # tfskin.cli and every subsystem's cli module sit on top


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    if module.split(".")[-1] in ("cli",) or module.endswith("_cli"):
        return CLI
    best, best_len = None, -1
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                if prefix == "tfskin" and module != "tfskin":
                    continue
                best, best_len = rank, len(prefix)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")
    return best


def imports_of(path: Path, modules: set) -> set:
    """tfskin modules imported anywhere in the file (top level or inside functions)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: drop (level - 1) trailing parts of the package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith("tfskin"):
                found.add(name)
    return found


def import_graph() -> dict:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        # importing a package's own parent (implicit in Python) is not a dependency
        graph[name] = {m for m in imports_of(path, modules) if m != name and not name.startswith(m + ".")}
    return graph


def test_imports_point_down_the_layers():
    wrong = sorted(f"{src} ({LAYERS[layer_of(src)][0] if layer_of(src) < CLI else 'cli'}) imports {dst} "
                   f"({LAYERS[layer_of(dst)][0] if layer_of(dst) < CLI else 'cli'})"
                   for src, targets in import_graph().items() for dst in targets if layer_of(dst) > layer_of(src))
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def test_import_graph_has_no_cycles():
    graph = import_graph()
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_model_folders_do_not_import_each_other():
    graph = import_graph()
    crossing = sorted(f"{src} imports {dst}" for src, targets in graph.items() for dst in targets
                      if src.startswith("tfskin.models.") and dst.startswith("tfskin.models.")
                      and src.split(".")[2] != dst.split(".")[2])
    assert not crossing, "\n".join(crossing)


@pytest.mark.parametrize("path", ["training.py", "cli.py"])
def test_runner_and_cli_ask_the_model_instead_of_checking_its_type(path):
    from tfskin.registry import model_names

    source = (PACKAGE / path).read_text()
    tree = ast.parse(source)
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"hasattr", "isinstance"} or path == "cli.py" and "hasattr" not in calls
    assert "import inspect" not in source
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    named = sorted(n for n in model_names() if any(n in s.split() or f"'{n}'" in s or f'"{n}"' in s
                                                  for s in strings))
    assert not named, f"{path} names models: {named}"


def test_the_command_line_starts_without_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from tfskin.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'tensorflow_datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_new_model_is_one_class_and_one_registration_line(tmp_path):
    """A toy noise-to-image GAN defined here trains through the runner, samples and exports, registered with
    one line; nothing in the runner or the CLI knows about it."""
    import keras
    import numpy as np
    from keras import layers, ops

    from tfskin import losses
    from tfskin.config import ModelConfig
    from tfskin.gan.base import images_and_mask
    from tfskin.gan.noise_to_image import NoiseToImageGAN
    from tfskin.registry import Preset, register_model, unregister_model
    from tfskin.runs import load_trained_model
    from tfskin.training import resolve_config, train

    @dataclasses.dataclass(frozen=True)
    class ToyConfig(ModelConfig):
        latent_dim: int = 4

    class ToyGAN(NoiseToImageGAN):
        config_class = ToyConfig

        def __init__(self, config, **kwargs):
            super().__init__(config, **kwargs)
            h, w = self.image_size
            self.generator = keras.Sequential([keras.Input((config.latent_dim,)), layers.Dense(h * w * 3),
                                               layers.Reshape((h, w, 3)), layers.Activation("tanh")])
            self.discriminator = keras.Sequential([keras.Input((h, w, 3)), layers.Flatten(), layers.Dense(1)])

        def latent_spec(self):
            return {"noise": ((self.config.latent_dim,), "normal")}

        def example_batch(self, batch_size=2):
            h, w = self.image_size
            return {"images": ops.zeros((batch_size, h, w, 3)), "noise": ops.zeros((batch_size, 4))}

        def generate(self, batch, training=False):
            return {"images": self.generator(batch["noise"], training=training)}

        def discriminator_losses(self, batch, fakes):
            return {"d_loss": losses.nonsaturating_discriminator_loss(self.discriminator(batch["images"]),
                                                                      self.discriminator(fakes["images"]))}

        def generator_losses(self, batch, fakes):
            return {"g_loss": losses.nonsaturating_generator_loss(self.discriminator(fakes["images"]))}

        def call(self, noise, training=False):
            return images_and_mask(self.generator(noise, training=training), 3)

    presets = {"quick": Preset("quick", "toy", ToyConfig(), data={"image_size": (16, 16), "num_examples": 16},
                               train={"batch_size": 4, "steps": 2, "log_every": 1, "sample_every": 1,
                                      "checkpoint_every": 1})}
    register_model("toy", ToyGAN, presets, "a toy GAN")  # the one registration line
    try:
        config = resolve_config("toy")
        result = train(config, tmp_path / "run", stream=open("/dev/null", "w"))
        assert result.step == 2 and result.export_path.is_dir()
        _, model = load_trained_model(tmp_path / "run")
        samples = model.sample(3, seed=1)
        assert samples["image"].shape == (3, 16, 16, 3) and np.isfinite(samples["image"]).all()
    finally:
        unregister_model("toy")


def _copied_setting(name: str) -> bool:
    """Field names that belong to the data, train or optimizer sections, not to a model's architecture."""
    return (name in ("image_size", "image_shape", "channels", "seed", "beta_1", "beta_2")
            or name.endswith(("learning_rate", "_seed", "_image_size")))


def test_model_configs_hold_architecture_and_loss_weights_only():
    """The image shape and the seed are the model's constructor arguments, the optimizer settings the run's
    ``optimizer`` section: a model config with such a field states a value config.json already holds."""
    from tfskin.registry import get_model, model_names

    wrong = sorted(f"{get_model(name).config_class.__name__}.{f.name}" for name in model_names()
                   for f in dataclasses.fields(get_model(name).config_class) if _copied_setting(f.name))
    assert not wrong, "model config fields that belong to another section: " + ", ".join(wrong)


def _keras_model_modules() -> set:
    """Modules under tfskin/gan and tfskin/models that define a ``keras.Model`` subclass."""
    import importlib
    import inspect

    import keras

    found = set()
    for name in import_graph():
        if not name.startswith(("tfskin.gan.", "tfskin.models.")):
            continue
        module = importlib.import_module(name)
        if any(inspect.isclass(obj) and issubclass(obj, keras.Model) and obj.__module__ == name
               for obj in vars(module).values()):
            found.add(name)
    return found


def test_keras_models_load_no_data():
    """A GAN is only a model: neither the module of a ``keras.Model`` subclass nor any gan/models module it
    imports (its config, networks, family base) imports ``tfskin.data`` or the runner's input objects
    (``tfskin.inputs``); the runner builds the inputs and hands them to ``fit``."""
    graph = import_graph()
    own = ("tfskin.gan", "tfskin.models")
    data = ("tfskin.data", "tfskin.inputs")
    modules = _keras_model_modules()
    assert {"tfskin.gan.base", "tfskin.models.dcgan.model", "tfskin.models.cyclegan.model"} <= modules
    wrong = []
    for start in sorted(modules):
        paths, todo = {start: [start]}, [start]
        while todo:
            node = todo.pop()
            for dst in sorted(graph.get(node, ())):
                if dst == data[0] or dst.startswith(tuple(p + "." for p in data)) or dst in data:
                    wrong.append(f"{start}: {' -> '.join(paths[node] + [dst])}")
                elif dst.startswith(tuple(p + "." for p in own)) and dst not in paths:
                    paths[dst] = paths[node] + [dst]
                    todo.append(dst)
    assert not wrong, "keras.Model modules that import data code:\n" + "\n".join(sorted(set(wrong)))
