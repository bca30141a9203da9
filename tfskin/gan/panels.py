"""A sample grid of several aligned panels per example (input | translation | reconstruction, label map |
synthesis | real, ...), written as a PNG and a TensorBoard image every ``every`` steps on a fixed input batch.

Image-to-image models add it through their ``training_callbacks``; the runner's own grid keeps showing the
model's ``preview`` images (and the colour curve that goes with them)."""

import numpy as np
import tensorflow as tf

from tfskin.callbacks import SampleGrid
from tfskin.imaging import tile, to_uint8


def panel_grid(groups: list, pad: int = 2, min_tile: int = 64) -> np.ndarray:
    """groups: lists of [0, 1] (N, H, W, C) arrays (panels). Example ``i`` becomes one row: the panels of the
    first group side by side, a gap, the panels of the next group, ... Tiles smaller than ``min_tile`` pixels are
    enlarged (nearest neighbour) so small training shapes stay visible."""
    strips = []
    for panels in groups:
        panels = [np.repeat(p, 3, axis=-1) if p.shape[-1] == 1 else p for p in panels]
        strip = np.concatenate([to_uint8(p) for p in panels], axis=2)  # (N, H, sum W, 3)
        strips.append(np.pad(strip, ((0, 0), (0, 0), (0, 3 * pad), (0, 0)), constant_values=255))
    rows = np.concatenate(strips, axis=2)[:, :, :-3 * pad]
    factor = max(1, -(-min_tile // rows.shape[1]))
    if factor > 1:
        rows = rows.repeat(factor, axis=1).repeat(factor, axis=2)
    return tile(rows, columns=1, pad=pad)


class PanelGrid(SampleGrid):
    """``render()`` -> list of panel groups (see ``panel_grid``); writes ``<run_dir>/samples/<prefix>_step_N.png``
    every ``every`` steps, and also at the start and the end of training, since the runner does not drive it."""

    def __init__(self, render, run_dir, every: int, prefix: str, log_dir=None):
        writer = tf.summary.create_file_writer(str(log_dir)) if log_dir else None
        super().__init__(render, run_dir, every, writer=writer, make_grid=panel_grid, name=prefix,
                         file_prefix=f"{prefix}_")

    def _step(self) -> int:
        return int(self.model.train_step_counter.numpy())

    def on_train_begin(self, logs=None):
        if self._step() == 0:
            self.write(0)

    def on_train_end(self, logs=None):
        step = self._step()
        if self.last_path is None or not self.last_path.name.endswith(f"{step:07d}.png"):
            self.write(step)
