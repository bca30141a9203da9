"""TensorFlow start-up, precision policies and distribution strategies from their CLI names."""

import contextlib
import functools
import os
import sys

from tfskin.errors import ConfigError


def import_tensorflow_quietly():
    """Import TensorFlow with its start-up chatter (CUDA probing, oneDNN notices) kept off the terminal; these
    lines are written by C++ before logging is configured, so no environment variable silences them all."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow

            tensorflow.config.list_physical_devices("GPU")  # probing CUDA prints an error when there is none
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# Everything below needs TensorFlow; importing it here, after the quiet import above, keeps its chatter off the
# terminal for every command that reaches this module.
import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

# --- --precision auto ---------------------------------------------------------------------------------------

#: /proc/cpuinfo flags of CPUs that compute bfloat16 natively (Intel AMX tiles, AVX512-BF16 dot products).
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset:
    """The CPU feature flags of the first processor in ``path`` (empty where the file does not exist)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def choose_precision(gpu_capabilities=(), tpu: bool = False, flags=frozenset()) -> tuple:
    """(policy name, reason) for ``--precision auto`` from what the hardware is, the decision table itself:

    TPU -> mixed_bfloat16; GPUs -> mixed_bfloat16 when every GPU has compute capability >= 8.0 (Ampere on),
    otherwise mixed_float16 (loss-scaled); no accelerator -> mixed_bfloat16 on a CPU with AMX or AVX512-BF16,
    float32 otherwise. ``gpu_capabilities`` holds one (major, minor) per GPU (None where unknown).
    """
    if tpu:
        return "mixed_bfloat16", "auto: TPU (native bfloat16)"
    if gpu_capabilities:
        known = [c for c in gpu_capabilities if c is not None]
        if known and len(known) == len(gpu_capabilities) and min(known) >= (8, 0):
            cc = ".".join(map(str, min(known)))
            return "mixed_bfloat16", f"auto: GPU compute capability {cc} >= 8.0 (native bfloat16)"
        shown = ", ".join("unknown" if c is None else ".".join(map(str, c)) for c in gpu_capabilities)
        return "mixed_float16", f"auto: GPU compute capability {shown} < 8.0 (float16 with loss scaling)"
    native = sorted(set(BF16_CPU_FLAGS) & set(flags))
    if native:
        return "mixed_bfloat16", f"auto: CPU has {'/'.join(native)} (native bfloat16)"
    return "float32", "auto: no GPU/TPU and the CPU lacks amx_bf16/avx512_bf16"


def _parse_capability(value):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return tuple(int(p) for p in value.split(".")[:2])
        except ValueError:
            return None
    return tuple(int(p) for p in value)[:2]


def local_accelerators(strategy: str = "default") -> tuple:
    """(GPU compute capabilities, has TPU) of this process's backend (TensorFlow, or JAX under
    ``KERAS_BACKEND=jax``)."""
    if keras.backend.backend() == "jax":
        import jax

        devices = jax.devices()
        gpus = [_parse_capability(getattr(d, "compute_capability", None)) for d in devices if d.platform == "gpu"]
        return tuple(gpus), any(d.platform == "tpu" for d in devices)
    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            gpus.append(_parse_capability(tf.config.experimental.get_device_details(gpu).get("compute_capability")))
        except (ValueError, RuntimeError):
            gpus.append(None)
    tpu = strategy == "tpu" or bool(tf.config.list_physical_devices("TPU"))
    return tuple(gpus), tpu


def auto_precision(strategy: str = "default") -> tuple:
    """(policy name, reason) that ``--precision auto`` resolves to on this machine."""
    gpus, tpu = local_accelerators(strategy)
    return choose_precision(gpus, tpu, cpu_flags())


def resolve_precision(requested: str, strategy: str = "default") -> tuple:
    """(policy name, reason): ``auto`` decided from the hardware, any other name taken as asked."""
    if requested == "auto":
        return auto_precision(strategy)
    return requested, "requested"


@contextlib.contextmanager
def precision_policy(name: str):
    """Build models under a Keras dtype policy; layers keep the policy they were built with afterwards."""
    if name == "auto":
        name = auto_precision()[0]
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@functools.lru_cache(maxsize=None)
def _mirrored(devices: tuple) -> tf.distribute.MirroredStrategy:
    # One strategy per device set and process: two MirroredStrategy objects in one process can hand out
    # clashing collective instance keys ("Shape mismatch in the collective instance").
    return tf.distribute.MirroredStrategy(list(devices))


def check_strategy(name: str, batch_size: int = None):
    """Raise ``ConfigError`` when strategy ``name`` cannot run on this process's Keras backend, or (data-parallel)
    when the global batch (if given) does not split evenly over JAX's devices. ``mirrored`` and ``tpu`` on JAX are
    refused by the runner itself (``tfskin.training.train``)."""
    if name != "data-parallel":
        return
    backend = keras.backend.backend()
    if backend != "jax":
        raise ConfigError(f"--strategy data-parallel is Keras' JAX distribution (keras.distribution.DataParallel); on "
                          f"the {'TensorFlow' if backend == 'tensorflow' else backend} backend use --strategy mirrored "
                          f"(several GPUs on one host), or train on JAX with KERAS_BACKEND=jax")
    import jax

    devices = jax.device_count()
    if batch_size is not None and batch_size % devices:
        raise ConfigError(f"--strategy data-parallel: batch size {batch_size} is not divisible by the {devices} "
                          f"devices JAX sees ({jax.devices()[0].platform}); choose a multiple of {devices}")


def data_parallel(batch_size: int):
    """``keras.distribution.DataParallel`` over every device JAX sees (``--strategy data-parallel``, JAX backend):
    variables replicated on each device, the global batch split along its first axis. On one host these are the
    local devices; after ``jax.distributed.initialize()`` (called by the user's launcher before tfskin) they are
    every host's, and each process feeds its share of the global batch."""
    import jax

    check_strategy("data-parallel", batch_size)
    return keras.distribution.DataParallel(devices=jax.devices())


def make_strategy(name: str) -> tf.distribute.Strategy:
    """``default`` (one device), ``mirrored`` (all local GPUs, or all logical CPUs), ``tpu`` (``data-parallel``:
    JAX only, see :func:`data_parallel`)."""
    if name == "data-parallel":  # JAX: no tf.distribute; Keras' distribution shards the batches fed as NumPy
        check_strategy(name)
        return tf.distribute.get_strategy()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = tuple(d.name for d in gpus) or tuple(d.name for d in tf.config.list_logical_devices("CPU"))
        return _mirrored(devices)
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.NotFoundError) as err:
            raise ConfigError(f"--strategy tpu: no TPU found ({err})") from None
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"unknown strategy {name!r}; valid: default, mirrored, tpu, data-parallel")
