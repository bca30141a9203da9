"""Small plots drawn with Pillow (no matplotlib dependency): confusion matrix, ROC curve, per-condition
results, histograms. Each function writes a PNG and returns its path."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT = ImageFont.load_default()
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _save(image: Image.Image, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _text(draw, xy, text, fill=(0, 0, 0), anchor="la"):
    draw.text(xy, str(text), fill=fill, font=_FONT, anchor=anchor)


class _Axes:
    """A plotting rectangle mapping data (x, y) to pixels, with ticks and labels."""

    def __init__(self, draw, box, xlim, ylim):
        self.draw, self.box, self.xlim, self.ylim = draw, box, xlim, ylim
        left, top, right, bottom = box
        draw.rectangle(box, outline=(0, 0, 0))

    def px(self, x, y):
        left, top, right, bottom = self.box
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        fx = (x - x0) / (x1 - x0 or 1.0)
        fy = (y - y0) / (y1 - y0 or 1.0)
        return left + fx * (right - left), bottom - fy * (bottom - top)

    def yticks(self, count=5, fmt="{:.3g}"):
        left, _, _, _ = self.box
        for v in np.linspace(*self.ylim, count):
            _, y = self.px(self.xlim[0], v)
            self.draw.line([(left - 4, y), (left, y)], fill=(0, 0, 0))
            _text(self.draw, (left - 6, y), fmt.format(v), anchor="rm")

    def xticks(self, count=5, fmt="{:.3g}"):
        _, _, _, bottom = self.box
        for v in np.linspace(*self.xlim, count):
            x, _ = self.px(v, self.ylim[0])
            self.draw.line([(x, bottom), (x, bottom + 4)], fill=(0, 0, 0))
            _text(self.draw, (x, bottom + 6), fmt.format(v), anchor="ma")


def confusion_matrix_png(confusion, class_names, path, cell: int = 44) -> Path:
    cm = np.asarray(confusion, np.int64)
    k = len(class_names)
    margin = 70
    size = (margin + k * cell + 20, margin + k * cell + 30)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    for i in range(k):
        for j in range(k):
            shade = int(255 - 200 * share[i, j])
            box = (margin + j * cell, margin + i * cell, margin + (j + 1) * cell, margin + (i + 1) * cell)
            draw.rectangle(box, fill=(shade, shade, 255), outline=(200, 200, 200))
            _text(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), cm[i, j],
                  fill=(255, 255, 255) if share[i, j] > 0.6 else (0, 0, 0), anchor="mm")
        _text(draw, (margin - 4, margin + (i + 0.5) * cell), class_names[i], anchor="rm")
        _text(draw, (margin + (i + 0.5) * cell, margin - 4), class_names[i], anchor="md")
    _text(draw, (4, 4), "rows: true class, columns: predicted")
    return _save(image, path)


def roc_curve_png(fpr, tpr, auc, path, size=(360, 340)) -> Path:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    axes = _Axes(draw, (50, 30, size[0] - 20, size[1] - 40), (0.0, 1.0), (0.0, 1.0))
    axes.xticks(6, "{:.1f}")
    axes.yticks(6, "{:.1f}")
    draw.line([axes.px(0, 0), axes.px(1, 1)], fill=(180, 180, 180))
    draw.line([axes.px(x, y) for x, y in zip(fpr, tpr, strict=True)], fill=PALETTE[0], width=2)
    _text(draw, (50, 8), f"ROC curve, AUC = {auc:.3f}")
    _text(draw, (size[0] / 2, size[1] - 14), "false positive rate", anchor="ma")
    return _save(image, path)


def histogram_png(counts, edges, path, title="", size=(420, 260)) -> Path:
    counts = np.asarray(counts)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    axes = _Axes(draw, (50, 30, size[0] - 20, size[1] - 40), (edges[0], edges[-1]), (0, max(1, counts.max())))
    axes.xticks(6, "{:.1f}")
    axes.yticks(5, "{:.0f}")
    for c, a, b in zip(counts, edges[:-1], edges[1:], strict=True):
        x0, y0 = axes.px(a, c)
        x1, y1 = axes.px(b, 0)
        draw.rectangle((x0 + 1, y0, x1 - 1, y1), fill=PALETTE[0])
    _text(draw, (50, 8), title)
    return _save(image, path)


def conditions_png(values: dict, path, metric: str = "AUC", size=None) -> Path:
    """Box and strip plot, one column per condition: the box spans the quartiles with the median as a line,
    whiskers reach the smallest and largest repeat, every finished repeat is a dot (labelled with its repeat
    number) and the mean a diamond. ``values``: {condition: [value or None per repeat]}; None/NaN repeats are
    counted as missing and the label shows finished/total."""
    names = list(values)
    size = size or (max(360, 110 * len(names) + 80), 340)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    finite = [v for vals in values.values() for v in vals if v is not None and np.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = max(0.01, (hi - lo) * 0.15)
    axes = _Axes(draw, (60, 30, size[0] - 20, size[1] - 70), (-0.5, len(names) - 0.5), (lo - pad, hi + pad))
    axes.yticks(6, "{:.3f}")
    for i, name in enumerate(names):
        reps = [(j, float(v)) for j, v in enumerate(values[name]) if v is not None and np.isfinite(v)]
        colour = PALETTE[i % len(PALETTE)]
        light = tuple(int(c + (255 - c) * 0.7) for c in colour)
        if reps:
            vals = np.array([v for _, v in reps])
            q1, median, q3 = np.quantile(vals, [0.25, 0.5, 0.75])
            x0, y_lo = axes.px(i - 0.25, q1)
            x1, y_hi = axes.px(i + 0.25, q3)
            draw.rectangle((x0, y_hi, x1, y_lo), fill=light, outline=colour)
            draw.line([axes.px(i - 0.25, median), axes.px(i + 0.25, median)], fill=colour, width=2)
            draw.line([axes.px(i, vals.min()), axes.px(i, q1)], fill=colour)
            draw.line([axes.px(i, q3), axes.px(i, vals.max())], fill=colour)
            for j, (rep, v) in enumerate(reps):
                px, py = axes.px(i - 0.18 + 0.36 * (j + 0.5) / len(reps), v)
                draw.ellipse((px - 3, py - 3, px + 3, py + 3), outline=(0, 0, 0), fill=colour)
                if len(reps) <= 12:
                    _text(draw, (px + 4, py), rep, fill=(90, 90, 90), anchor="lm")
            mx, my = axes.px(i + 0.32, vals.mean())
            draw.polygon([(mx, my - 5), (mx + 5, my), (mx, my + 5), (mx - 5, my)], fill=(0, 0, 0))
        x, _ = axes.px(i, lo)
        _text(draw, (x, size[1] - 62), name[:18], anchor="ma")
        _text(draw, (x, size[1] - 48), f"{len(reps)}/{len(values[name])} repeats", anchor="ma")
    _text(draw, (60, 8), f"{metric}: every repeat (dots), quartile box, median line, mean (diamond)")
    return _save(image, path)
