"""The GAN training step on Keras' JAX backend (``KERAS_BACKEND=jax``): the TF step's order and arithmetic,
written statelessly.

Keras' JAX trainer jit-compiles ``train_step(state, data) -> (logs, state)`` where ``state`` holds the values
of the model's trainable, non-trainable, optimizer and metric variables; nothing may be assigned in place.
A GAN has two optimizers, and Keras' trainer only knows ``model.optimizer``: under JAX the base sets
``model.optimizer`` to an :class:`OptimizerPair` whose ``variables`` are the generator optimizer's followed by
the discriminator optimizer's, so Keras carries, purges and syncs both players' optimizer state.

One step, as in ``GAN.train_step`` (TF):

1. the generator runs once (``jax.vjp`` keeps its pullback), with the generator's weights as the inputs;
2. the discriminator is updated on the detached fakes (``discriminator_step_losses``: the model's losses plus
   R1; its own gradient and optimizer);
3. the generator loss is computed with the updated discriminator; its gradient is the direct part (losses that
   run a generator again, e.g. CycleGAN's cycle terms) plus the part through the fakes (the pullback of 1.);
4. the generator optimizer is applied; the generator EMA and ADA's p are updated (``GAN.finish_step``), the
   trackers updated and the step counter incremented.

Variable reads inside each phase come from a ``keras.StatelessScope`` mapping every model variable to its
current value; assignments made by a phase (BatchNorm statistics, the step counter) are read back from the
scope and carried to the next phase, so a step sees the same values in the same order as the TF step.
Losses are not divided by a replica count: under ``keras.distribution.DataParallel`` the jit-compiled step is
one program over the global batch, whose mean is already the global-batch mean.

Under ``mixed_float16`` both optimizers are ``keras.optimizers.LossScaleOptimizer``s (``GAN.compile``), as on TF:
each player's loss is multiplied by its optimizer's current scale (``scale_loss``, reading the scale from the
carried optimizer state) before it is differentiated, so the generator's direct gradient and the cotangent fed to
the pullback are both scaled; the update (:func:`_apply_loss_scaled`) unscales, skips the step when a gradient is
not finite, and halves or grows the scale. The scale and its growth counter are optimizer variables, so they
travel in ``OptimizerPair.variables`` (and checkpoints) like every other optimizer slot. Without loss scaling
(float32, mixed_bfloat16) none of this runs: the step is the unscaled one.
"""

import jax
import keras
from keras import ops


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
    if _is_loss_scaled(optimizer):
        return _apply_loss_scaled(optimizer, optimizer_values, grads, variables, values)
    mapping = list(zip(optimizer.variables, optimizer_values)) + values.mapping()
    with keras.StatelessScope(state_mapping=mapping) as scope:
        optimizer.apply(grads, variables)
    values.update(values.read_back(scope, variables))
    return [scope.get_current_value(v) for v in optimizer.variables]


def _is_loss_scaled(optimizer) -> bool:
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def _scaled(optimizer, optimizer_values, loss):
    """``optimizer.scale_loss(loss)`` with the loss scale's value in ``optimizer_values``; ``loss`` itself (the
    very same array) when the optimizer does not scale losses."""
    if not _is_loss_scaled(optimizer):
        return loss
    with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, optimizer_values))):
        return optimizer.scale_loss(loss)


def _apply_loss_scaled(optimizer, optimizer_values, grads, variables, values: _Values):
    """``LossScaleOptimizer.apply(grads, variables)`` statelessly (the same arithmetic as Keras' ``apply``).

    Keras' ``apply`` assigns variables inside ``ops.cond`` branches, which on JAX leaks tracers out of
    ``lax.cond`` (and its ``stateless_apply`` only updates every variable the optimizer was built with, not the
    subset a staged model trains). Here each branch returns the values it changes: finite gradients are divided
    by the current scale and applied by the inner optimizer, then the growth counter is incremented, or reset
    with the scale doubled after ``dynamic_growth_steps`` finite steps; a non-finite gradient skips the update
    (weights and inner optimizer untouched) and halves the scale."""
    opt_variables = list(optimizer.variables)
    model_values = [values.current[id(v)] for v in variables]
    finite = optimizer.check_finite(grads)

    def mapping(opt_values, var_values):
        return list(zip(opt_variables, opt_values)) + values.mapping(dict(zip(map(id, variables), var_values)))

    def apply_finite(opt_values, var_values):
        with keras.StatelessScope(state_mapping=mapping(opt_values, var_values)) as scope:
            scale, counter = optimizer.dynamic_scale, optimizer.step_counter
            unscaled = [g if optimizer._overwrite_variable_with_gradient(v) else ops.divide(g, scale)
                        for g, v in zip(grads, variables)]
            optimizer.inner_optimizer.apply(unscaled, variables)
            grow = ops.equal(counter, optimizer.dynamic_growth_steps - 1)
            counter_value = counter.value
            scale_value = scale.value
            counter.assign(ops.where(grow, ops.zeros_like(counter_value), counter_value + 1))
            scale.assign(ops.where(grow, ops.multiply(scale_value, 2.0), scale_value))
        return ([scope.get_current_value(v) for v in opt_variables],
                [scope.get_current_value(v) for v in variables])

    def skip(opt_values, var_values):
        with keras.StatelessScope(state_mapping=list(zip(opt_variables, opt_values))) as scope:
            optimizer.step_counter.assign(0)
            optimizer.dynamic_scale.assign(ops.multiply(optimizer.dynamic_scale, 0.5))
        return [scope.get_current_value(v) for v in opt_variables], list(var_values)

    new_opt_values, new_values = jax.lax.cond(finite, apply_finite, skip, list(optimizer_values), model_values)
    values.update(dict(zip(map(id, variables), new_values)))
    return list(new_opt_values)


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
            losses = model.discriminator_step_losses(batch, detached)
        return _scaled(d_opt, d_opt_values, losses["d_loss"]), (losses, values.read_back(scope, stateful))

    d_values = [values.current[id(v)] for v in d_vars]
    (_, (d_losses, updates)), d_grads = jax.value_and_grad(d_loss, has_aux=True)(d_values)
    values.update(updates)
    d_opt_values = _apply(d_opt, d_opt_values, d_grads, d_vars, values)

    # 3. The generator's loss through the updated discriminator: direct gradient + through the fakes.
    def g_loss(g_values, floats):
        with keras.StatelessScope(state_mapping=values.mapping(dict(zip(map(id, g_vars), g_values)))) as scope:
            losses = model.generator_losses(batch, rebuild(floats))
        # Scaled here, so the direct part and the cotangent through the fakes carry the same scale.
        return _scaled(g_opt, g_opt_values, losses["g_loss"]), (losses, values.read_back(scope, stateful))

    g_values = [values.current[id(v)] for v in g_vars]
    (_, (g_losses, updates)), (direct, through_fakes) = jax.value_and_grad(g_loss, argnums=(0, 1), has_aux=True)(
        g_values, fake_floats)
    values.update(updates)
    (via_fakes,) = pullback(through_fakes)
    g_grads = [a + b for a, b in zip(direct, via_fakes)]
    g_opt_values = _apply(g_opt, g_opt_values, g_grads, g_vars, values)

    # 4. The generator EMA, ADA's p, the step counter and the trackers.
    metric_variables = list(model.metrics_variables)
    mapping = values.mapping() + list(zip(metric_variables, metric_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        model.finish_step(d_losses)
        logs = model.step_logs({**d_losses, **g_losses})
    values.update(values.read_back(scope, stateful))
    new_metric_values = [scope.get_current_value(v) for v in metric_variables]
    new_state = (
        [values.current[id(v)] for v in model.trainable_variables],
        [values.current[id(v)] for v in model.non_trainable_variables],
        g_opt_values + d_opt_values,
        new_metric_values,
    )
    return logs, new_state

