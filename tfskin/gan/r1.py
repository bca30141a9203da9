"""R1: the squared norm of the discriminator's gradient at real inputs (Mescheder et al. 2018), on both backends.

``output_and_input_gradient`` is the one place that differs by backend: a nested ``tf.GradientTape`` on
TensorFlow (the outer tape of the discriminator's update then differentiates the penalty again; lazy R1 puts its
backward pass under a ``tf.cond``), ``jax.vjp`` on JAX. On JAX the discriminator runs inside the caller's
``keras.StatelessScope`` (the stateless step): the forward pass is traced in a copy of that scope, and the state
it updates (BatchNorm statistics) is returned to it, so the step sees the same updates as on TensorFlow.
"""

import keras
from keras import ops


def output_and_input_gradient(fn, x, score, when=None):
    """``(fn(x), d score(fn(x)) / dx)``; the gradient stays differentiable in the weights ``fn`` reads.

    ``when`` (a boolean tensor; TensorFlow only, JAX ignores it): the gradient is taken only where it is true and
    is zeros otherwise. The forward pass runs in any case, outside the ``tf.cond`` that holds the backward pass,
    so the state it updates (BatchNorm statistics, which tf.distribute merges across replicas, something a cond
    branch may not do) is updated alike on every step."""
    x = ops.convert_to_tensor(x)
    if keras.backend.backend() == "jax":
        return _jax_output_and_input_gradient(fn, x, score)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x)
        value = score(out)
    if when is None:
        return out, input_gradient(tape, value, x)
    return out, tf.cond(when, lambda: input_gradient(tape, value, x), lambda: tf.zeros_like(x))


def input_gradient(tape, value, x):
    """d value / d x from ``tape``: R1's backward pass on TensorFlow (the outer tape differentiates it again)."""
    return tape.gradient(value, x)


def _jax_output_and_input_gradient(fn, x, score):
    import jax
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    outer = get_stateless_scope()

    def forward(x):
        inner = keras.StatelessScope()
        if outer is not None:
            inner.state_mapping = dict(outer.state_mapping)
        with inner:
            out = fn(x)
        changed = {key: value for key, value in inner.state_mapping.items()
                   if outer is None or outer.state_mapping.get(key) is not value}
        return score(out), (out, changed)

    value, pullback, (out, changed) = jax.vjp(forward, x, has_aux=True)
    if outer is not None:
        outer.state_mapping.update(changed)
    (grad,) = pullback(ops.ones_like(value))
    return out, grad


def squared_gradient_norm(grad):
    """E over the batch of ||grad||^2 (summed over every non-batch axis), float32."""
    grad = ops.cast(grad, "float32")
    return ops.mean(ops.sum(ops.reshape(ops.square(grad), (ops.shape(grad)[0], -1)), axis=-1))


def logit_sum(out):
    """The sum of every element of a discriminator's score tensor(s) (a tensor or a list of them)."""
    if isinstance(out, (list, tuple)):
        return sum(ops.sum(ops.cast(o, "float32")) for o in out)
    return ops.sum(ops.cast(out, "float32"))
