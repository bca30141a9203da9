"""Staged training: progressive growing, phase-frozen growing, LAPGAN level by level.

A ``StageSchedule`` maps the step counter to (stage, fade-in alpha); ``StagedGAN`` holds both as variables
(checkpoints carry them) and gives the runner the ``StageScheduler`` callback that applies the schedule.
"""

import keras

from tfskin.callbacks import StageScheduler
from tfskin.gan.base import GAN


class Phase:
    """One phase of a stage schedule: train ``stage`` for ``transition_steps`` steps while the fade-in alpha
    rises linearly from 1/transition_steps to 1 (none when 0), then ``stable_steps`` steps at alpha 1."""

    def __init__(self, stage: int, transition_steps: int = 0, stable_steps: int = 0, name: str = None):
        if transition_steps < 0 or stable_steps < 0:
            raise ValueError("phase lengths must be >= 0")
        self.stage, self.transition_steps, self.stable_steps = int(stage), int(transition_steps), int(stable_steps)
        self.name = name or f"stage {stage}"

    @property
    def steps(self) -> int:
        return self.transition_steps + self.stable_steps

    def __repr__(self):
        return (f"Phase({self.name!r}, stage={self.stage}, transition_steps={self.transition_steps}, "
                f"stable_steps={self.stable_steps})")


class StageSchedule:
    """An explicit, pure schedule: step -> (stage, alpha). ``step`` is the number of steps already taken (the
    index of the step about to run). After the last phase the last stage continues at alpha 1."""

    def __init__(self, phases):
        self.phases = tuple(phases)
        if not self.phases:
            raise ValueError("a stage schedule needs at least one phase")

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.phases)

    def boundaries(self) -> list:
        """(first step, phase) for every phase."""
        out, start = [], 0
        for phase in self.phases:
            out.append((start, phase))
            start += phase.steps
        return out

    @property
    def full_from(self) -> int:
        """The index of the first step that trains the last stage fully faded in (alpha 1)."""
        start, last = self.boundaries()[-1]
        return start + last.transition_steps

    def phase_at(self, step: int) -> Phase:
        for start, phase in self.boundaries():
            if step < start + phase.steps:
                return phase
        return self.phases[-1]

    def at(self, step: int) -> tuple:
        """(stage, alpha) of the step with index ``step``."""
        step = int(step)
        for start, phase in self.boundaries():
            if step < start + phase.steps:
                into = step - start
                if into < phase.transition_steps:
                    return phase.stage, (into + 1) / phase.transition_steps
                return phase.stage, 1.0
        return self.phases[-1].stage, 1.0

    def __repr__(self):
        return f"StageSchedule({list(self.phases)})"


class StagedGAN(GAN):
    """A GAN whose trained sub-networks and shapes change with a stage (progressive resolution, a LAPGAN
    level). The stage and the fade-in alpha are non-trainable variables, so checkpoints carry them; the Python
    copy of the stage fixes the traced shapes, and a change of stage retraces the train function
    (``StageScheduler`` drives both from ``stage_schedule(batch_size)`` and the step counter).

    Subclasses implement ``stage_schedule(batch_size)`` and read ``self.current_stage`` (Python int) and
    ``self.alpha`` (variable) in their training code; ``on_stage_change(stage)`` may freeze layers.
    """

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.stage = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                     aggregation="only_first_replica", name="stage")
        self.alpha = self.add_weight(shape=(), dtype="float32", initializer="ones", trainable=False,
                                     aggregation="only_first_replica", name="alpha")
        self._current_stage = 0

    @property
    def current_stage(self) -> int:
        return self._current_stage

    def stage_schedule(self, batch_size: int) -> StageSchedule:
        raise NotImplementedError

    def on_stage_change(self, stage: int):
        """Hook: called when the traced stage changes (e.g. to freeze the layers of earlier stages)."""

    def set_phase(self, stage: int, alpha: float) -> bool:
        """Move to (stage, alpha); returns True when the stage changed (the train function must be retraced)."""
        stage = int(stage)
        self.alpha.assign(float(alpha))
        self.stage.assign(stage)
        if stage == self._current_stage:
            return False
        self._current_stage = stage
        self.on_stage_change(stage)
        return True

    def sync_stage(self):
        """Take the Python stage from the stage variable (after restoring weights)."""
        stage = int(keras.ops.convert_to_numpy(self.stage))
        if stage != self._current_stage:
            self._current_stage = stage
            self.on_stage_change(stage)

    def training_callbacks(self, run_config, run_dir, inputs, stream=None) -> list:
        return [StageScheduler(self.stage_schedule(run_config.train.batch_size), stream=stream)]

    def after_restore(self):
        self.sync_stage()

    def schedule_notice(self, steps: int, batch_size: int):
        schedule = self.stage_schedule(batch_size)
        if len(schedule.phases) < 2 or steps > schedule.full_from:
            return None
        stage, alpha = schedule.at(max(0, steps - 1))
        where = schedule.phase_at(max(0, steps - 1)).name + (f", fading in at alpha {alpha:.2f}" if alpha < 1 else "")
        return (f"{self.model_name} trains {steps} steps but its schedule reaches its last stage "
                f"({schedule.phases[-1].name}) fully faded in only at step {schedule.full_from + 1}: training ends in "
                f"stage {stage} ({where}; stages 0-{len(schedule.phases) - 1}), so samples and exports come from that "
                f"stage. Raise train.steps or shorten the phases.")

    def schedule_scalars(self) -> dict:
        """Scalars TensorBoard shows under ``schedule/``."""
        return {"stage": float(self._current_stage), "alpha": float(keras.ops.convert_to_numpy(self.alpha))}
