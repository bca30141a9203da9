"""The GAN training step on Keras' JAX backend (``KERAS_BACKEND=jax``): the TF step's order and arithmetic,
written statelessly.

Keras' JAX trainer jit-compiles ``train_step(state, data) -> (logs, state)`` where ``state`` holds the values
of the model's trainable, non-trainable, optimizer and metric variables; nothing may be assigned in place.
A GAN has two optimizers, and Keras' trainer only knows ``model.optimizer``: under JAX the base sets
``model.optimizer`` to an :class:`OptimizerPair` whose ``variables`` are the generator optimizer's followed by
the discriminator optimizer's, so Keras carries, purges and syncs both players' optimizer state.

One step, as in ``GAN.train_step`` (TF):

1. the generator runs once (``jax.vjp`` keeps its pullback), with the generator's weights as the inputs;
2. the discriminator is updated on the detached fakes (``discriminator_losses``, its own gradient and optimizer);
3. the generator loss is computed with the updated discriminator; its gradient is the direct part (losses that
   run a generator again, e.g. CycleGAN's cycle terms) plus the part through the fakes (the pullback of 1.);
4. the generator optimizer is applied, the trackers updated and the step counter incremented.

Variable reads inside each phase come from a ``keras.StatelessScope`` mapping every model variable to its
current value; assignments made by a phase (BatchNorm statistics, the step counter) are read back from the
scope and carried to the next phase, so a step sees the same values in the same order as the TF step.
Losses are not divided by a replica count: under ``keras.distribution.DataParallel`` the jit-compiled step is
one program over the global batch, whose mean is already the global-batch mean.
"""

import jax
import keras


class OptimizerPair:
    """What Keras' JAX trainer needs of ``model.optimizer`` when a model has two: the variables of both, in a
    fixed order (generator first), and whether they exist yet."""

    def __init__(self, generator_optimizer, discriminator_optimizer):
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer

    @property
    def variables(self):
        return list(self.generator_optimizer.variables) + list(self.discriminator_optimizer.variables)

    @property
    def built(self):
        return self.generator_optimizer.built and self.discriminator_optimizer.built

    def build(self, variables=None):
        # Each player's optimizer is built over its own networks (``GAN.build_for_training``).
        raise RuntimeError("build the GAN's optimizers with GAN.build_for_training()")

    @property
    def learning_rate(self):
        return self.generator_optimizer.learning_rate


class _Values:
    """Current values of the model's variables, by variable identity, during one traced step."""

    def __init__(self, variables, values):
        self.variables = list(variables)
        self.current = {id(v): value for v, value in zip(self.variables, values)}

    def mapping(self, replaced=None):
        replaced = replaced or {}
        return [(v, replaced.get(id(v), self.current[id(v)])) for v in self.variables]

    def read_back(self, scope, only=None):
        """Values of ``only`` (default: every variable) as the scope left them."""
        return {id(v): scope.get_current_value(v) for v in (self.variables if only is None else only)}

    def update(self, values: dict):
        self.current.update(values)


def _is_float(x) -> bool:
    return jax.numpy.issubdtype(jax.numpy.result_type(x), jax.numpy.inexact)


def _apply(optimizer, optimizer_values, grads, variables, values: _Values):
    """``optimizer.apply(grads, variables)`` statelessly: the optimizer's variable values after the update
    (the updated model variables go into ``values``). Only ``variables`` change, as in the TF step (staged
    models update only the active stage's weights)."""
    mapping = list(zip(optimizer.variables, optimizer_values)) + values.mapping()
    with keras.StatelessScope(state_mapping=mapping) as scope:
        optimizer.apply(grads, variables)
    values.update(values.read_back(scope, variables))
    return [scope.get_current_value(v) for v in optimizer.variables]


def train_step(model, state, data):
    """One stateless GAN step (see the module docstring); returns ``(logs, new state)``."""
    trainable, non_trainable, optimizer_values, metric_values = state
    batch = model._batch_of(data)
    model_variables = list(model.trainable_variables) + list(model.non_trainable_variables)
    values = _Values(model_variables, list(trainable) + list(non_trainable))
    stateful = list(model.non_trainable_variables)
    g_opt, d_opt = model.generator_optimizer, model.discriminator_optimizer
    g_opt_values = list(optimizer_values[: len(g_opt.variables)])
    d_opt_values = list(optimizer_values[len(g_opt.variables):])
    g_vars, d_vars = list(model.generator_variables), list(model.discriminator_variables)

    # 1. The generator's forward pass, once, differentiable in the generator's weights. Only the floating
    # outputs are differentiated (labels in the fakes are integers); ``layout`` records how to rebuild them.
    layout = {}

    def forward(g_values):
        with keras.StatelessScope(state_mapping=values.mapping(dict(zip(map(id, g_vars), g_values)))) as scope:
            fakes = model.generate(batch, training=True)
        leaves, layout["treedef"] = jax.tree_util.tree_flatten(fakes)
        layout["kinds"] = [_is_float(leaf) for leaf in leaves]
        floats = [leaf for leaf in leaves if _is_float(leaf)]
        others = [leaf for leaf in leaves if not _is_float(leaf)]
        return floats, (others, values.read_back(scope, stateful))

    g_values = [values.current[id(v)] for v in g_vars]
    fake_floats, pullback, (fake_others, updates) = jax.vjp(forward, g_values, has_aux=True)
    values.update(updates)

    def rebuild(floats):
        floats, others = iter(floats), iter(fake_others)
        leaves = [next(floats) if kind else next(others) for kind in layout["kinds"]]
        return jax.tree_util.tree_unflatten(layout["treedef"], leaves)

    # 2. The discriminator's update on the detached fakes.
    detached = rebuild([jax.lax.stop_gradient(f) for f in fake_floats])

    def d_loss(d_values):
        with keras.StatelessScope(state_mapping=values.mapping(dict(zip(map(id, d_vars), d_values)))) as scope:
            losses = model.discriminator_losses(batch, detached)
        return losses["d_loss"], (losses, values.read_back(scope, stateful))

    d_values = [values.current[id(v)] for v in d_vars]
    (_, (d_losses, updates)), d_grads = jax.value_and_grad(d_loss, has_aux=True)(d_values)
    values.update(updates)
    d_opt_values = _apply(d_opt, d_opt_values, d_grads, d_vars, values)

    # 3. The generator's loss through the updated discriminator: direct gradient + through the fakes.
    def g_loss(g_values, floats):
        with keras.StatelessScope(state_mapping=values.mapping(dict(zip(map(id, g_vars), g_values)))) as scope:
            losses = model.generator_losses(batch, rebuild(floats))
        return losses["g_loss"], (losses, values.read_back(scope, stateful))

    g_values = [values.current[id(v)] for v in g_vars]
    (_, (g_losses, updates)), (direct, through_fakes) = jax.value_and_grad(g_loss, argnums=(0, 1), has_aux=True)(
        g_values, fake_floats)
    values.update(updates)
    (via_fakes,) = pullback(through_fakes)
    g_grads = [a + b for a, b in zip(direct, via_fakes)]
    g_opt_values = _apply(g_opt, g_opt_values, g_grads, g_vars, values)

    # 4. Trackers and the step counter.
    metric_variables = list(model.metrics_variables)
    mapping = values.mapping() + list(zip(metric_variables, metric_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        model.train_step_counter.assign_add(1)
        logs = model._track({**d_losses, **g_losses})
    values.update(values.read_back(scope, stateful))
    new_metric_values = [scope.get_current_value(v) for v in metric_variables]
    new_state = (
        [values.current[id(v)] for v in model.trainable_variables],
        [values.current[id(v)] for v in model.non_trainable_variables],
        g_opt_values + d_opt_values,
        new_metric_values,
    )
    return logs, new_state

