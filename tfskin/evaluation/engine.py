"""How a protocol trains its many small models: one fresh model per run, or one reused model per shape.

A paper's evaluation trains hundreds of small classifiers or segmenters that differ only in their seed and
data. Built fresh, each one is traced again (``fit``'s step and its TTA augmentation), which cost about as
much as training it at the ``cpu`` budgets. The ``reuse`` engine keeps, per process, one built, compiled and
traced model per *key* (everything that shapes the traced step: config without the seed, classes, steps) and
hands it out reset to exactly what a fresh build with the run's seed holds:

- every model variable (weights, batch-norm statistics, seed-generator states) copied from a fresh, untraced
  build made after the same ``keras.utils.set_random_seed`` (the cheap part of a build);
- every optimizer variable (iteration count, moments; loss scale) restored to its value before the first step.

Nothing else in a Keras model carries state from one ``fit`` to the next (metrics reset each epoch), so a
reused model trains and predicts as the fresh one would (``tests/evaluation/test_engine.py`` checks it run by
run). ``single`` is the one-by-one engine.
"""

import collections

ENGINES = ("reuse", "single")
DEFAULT_ENGINE = "reuse"


def check_engine(name) -> str:
    """The engine name, or a ConfigError listing the valid ones."""
    from tfskin.errors import ConfigError

    if name not in ENGINES:
        raise ConfigError(f"engine {name!r} is not one of {', '.join(ENGINES)}")
    return name


def config_key(kind: str, config) -> tuple:
    """What of a model config shapes its traced step: every field but the seed, as a hashable key."""
    import json

    fields = {k: v for k, v in config.to_dict().items() if k != "seed"}
    return kind, json.dumps(fields, sort_keys=True, default=str)


def tracing_count(function, _seen=None) -> int:
    """How many times the ``tf.function``s behind a Keras ``train_function`` (or any function closing over
    tf.functions) were traced; None when it holds none (e.g. not made yet)."""
    seen = set() if _seen is None else _seen
    if function is None or id(function) in seen:
        return None
    seen.add(id(function))
    if hasattr(function, "experimental_get_tracing_count"):
        return int(function.experimental_get_tracing_count())
    counts = [tracing_count(cell.cell_contents, seen) for cell in (getattr(function, "__closure__", None) or ())
              if callable(getattr(cell, "cell_contents", None))]
    counts = [c for c in counts if c is not None]
    return sum(counts) if counts else None


def _copy_variables(destination, source, what: str):
    dst, src = list(destination), list(source)
    if len(dst) != len(src) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(dst, src, strict=True)):
        raise RuntimeError(f"cannot reset a reused {what}: its variables differ from a fresh build's")
    for a, b in zip(dst, src, strict=True):
        a.assign(b)


class _Slot:
    """One kept model, the optimizer values it starts from, and the helpers traced with it."""

    def __init__(self, model):
        self.model = model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        self.optimizer_start = ([v.numpy() for v in model.optimizer.variables]
                                if model.optimizer is not None else [])
        self.parameters = int(sum(int(v.numpy().size) for v in model.variables))
        self.helpers = {}

    def reset(self, fresh):
        _copy_variables(self.model.variables, fresh.variables, "model")
        if self.model.optimizer is not None:
            for variable, value in zip(self.model.optimizer.variables, self.optimizer_start, strict=True):
                variable.assign(value)


class ModelPool:
    """Per process: one compiled, traced model per key, reset for each run (the ``reuse`` engine).

    ``model(key, build)``: ``build()`` makes a fresh compiled model (call it right after the run's
    ``keras.utils.set_random_seed``); the first time a key is seen that model is kept and returned, later
    its variables are copied into the kept one (whose traced step is then reused) and the optimizer reset.
    At most ``max_slots`` models and ``max_parameters`` variables' elements are kept (least recently used
    go first)."""

    def __init__(self, max_slots: int = 8, max_parameters: int = 40_000_000):
        self.max_slots = int(max_slots)
        self.max_parameters = int(max_parameters)
        self._slots = collections.OrderedDict()

    def __len__(self):
        return len(self._slots)

    def model(self, key, build):
        """(model, reused): the kept model of ``key`` reset to ``build()``'s state, or a fresh one kept."""
        fresh = build()
        slot = self._slots.get(key)
        if slot is None:
            self._slots[key] = _Slot(fresh)
            self._evict()
            return fresh, False
        self._slots.move_to_end(key)
        slot.reset(fresh)
        return slot.model, True

    def helper(self, key, name, make):
        """A helper kept beside ``key``'s model (e.g. a traced augmentation), made once by ``make()``."""
        slot = self._slots[key]
        if name not in slot.helpers:
            slot.helpers[name] = make()
        return slot.helpers[name]

    def _evict(self):
        while len(self._slots) > 1 and (len(self._slots) > self.max_slots or
                                        sum(s.parameters for s in self._slots.values()) > self.max_parameters):
            self._slots.popitem(last=False)

    def clear(self):
        self._slots.clear()


_POOL = None


def process_pool() -> ModelPool:
    """This process's :class:`ModelPool` (a protocol's worker keeps it from run to run)."""
    global _POOL
    if _POOL is None:
        _POOL = ModelPool()
    return _POOL


def release_process_pool():
    """Drop this process's kept models (a protocol run in the calling process frees them when it ends)."""
    global _POOL
    if _POOL is not None:
        _POOL.clear()
    _POOL = None
