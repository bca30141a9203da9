"""The published figures in tfskin.reproduce.published: shape, exact values, and (where the paper texts are on this
machine) every figure checked against the text it was copied from."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tfskin.errors import ConfigError
from tfskin.reproduce.published import (
    PAPER_FILES,
    PAPER_TITLES,
    PUBLISHED,
    PublishedTable,
    published_table,
    published_tables,
    published_value,
)

PAPERS = ("bissoto2018", "lunagariya", "pollastri2020", "fossen2020")


def _papers_dir():
    candidates = [os.environ.get("TFSKIN_PAPERS_DIR"), Path(__file__).resolve().parents[1] / "shared" / "papers",
                  "/work/shared/papers"]
    for c in candidates:
        if c and (Path(c) / PAPER_FILES["bissoto2018"]).is_file():
            return Path(c)
    return None


PAPERS_DIR = _papers_dir()
needs_text = pytest.mark.skipif(PAPERS_DIR is None, reason="paper texts (shared/papers) not on this machine")


def _lines(paper, first, last):
    """Lines first..last (1-based, inclusive) of a paper's text file."""
    text = (PAPERS_DIR / PAPER_FILES[paper]).read_text(encoding="utf-8").splitlines()
    return text[first - 1:last]


# ---- shape -------------------------------------------------------------------------------------------------------


def test_every_paper_has_tables_and_a_title():
    assert set(PUBLISHED) == set(PAPERS) == set(PAPER_TITLES) == set(PAPER_FILES)
    for paper in PAPERS:
        tables = published_tables(paper)
        assert tables, paper
        assert len({t.id for t in tables}) == len(tables), f"{paper}: duplicate table ids"
        for t in tables:
            assert isinstance(t, PublishedTable)
            assert t.paper == paper and t.id and t.citation and t.caption
            assert t.rows, t.citation
            assert len({str(r[0]) for r in t.rows}) == len(t.rows), f"{t.citation}: duplicate row names"
            for row in t.rows:
                assert len(row) == len(t.columns), (t.citation, row)
            file, lines = t.source.split(":")
            assert file == PAPER_FILES[paper]
            first, last = (int(x) for x in lines.split("-"))
            assert 1 <= first <= last


def test_values_are_plain_numbers_strings_or_none():
    for tables in PUBLISHED.values():
        for t in tables:
            for row in t.rows:
                for v in row:
                    assert v is None or isinstance(v, (int, float, str)), (t.citation, v)


def test_module_does_not_import_tensorflow():
    code = "import sys, tfskin.reproduce.published; sys.exit('tensorflow' in sys.modules or 'numpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---- exact values (always run) ----------------------------------------------------------------------------------


def test_bissoto_table1_values():
    t = published_table("bissoto2018", "table1")
    assert t.records()[-1] == {"training_data": "Real+Instance+PGAN", "auc_mean_pct": 84.7, "auc_std_pct": 0.5,
                               "training_size": 7038, "p_value": None}
    assert published_value("bissoto2018", "table1", "Real", "auc_mean_pct") == 83.4
    assert published_value("bissoto2018", "Table 1", "Real+Instance", "p_value") == 1.1e-4
    assert published_value("bissoto2018", "Bissoto et al. 2018, Table 1", "PGAN", "p_value") == 2.3e-9
    assert published_value("bissoto2018", "table1", "Real+2×PGAN", "training_size") == 7038  # × finds x
    assert published_value("bissoto2018", "table1", "semantic", "auc_std_pct") == 1.2
    assert t.setup["runs"] == 10 and t.setup["tta_replicas"] == 50 and t.setup["test_images"] == 900
    assert [r[0] for r in t.rows] == ["Real", "Instance", "Semantic", "PGAN", "Real+Instance", "Real+Semantic",
                                      "Real+PGAN", "Real+2xPGAN", "Real+Instance+PGAN"]
    # the paper: every difference to Real+Instance+PGAN is significant at 95%; Real+I+P is the best AUC
    assert all(p < 0.05 for *_, p in t.rows[:-1])
    assert max(t.rows, key=lambda r: r[1])[0] == "Real+Instance+PGAN"


def test_pollastri_values():
    assert published_value("pollastri2020", "table2", "CDNN0", "original_data") == 0.746
    assert published_value("pollastri2020", "table2", "CDNN3", "lapgan_augmented") == 0.764
    assert published_value("pollastri2020", "table2", "CDNN4", "dcgan_augmented") is None
    assert published_value("pollastri2020", "table3", "Eq. 6", "lapgan_augmented") == 0.767
    assert published_value("pollastri2020", "table1", "CDNN6", "loss_equation") == 4
    assert published_value("pollastri2020", "ensemble", "high_threshold", "value") == 0.8
    assert published_value("pollastri2020", "ensemble", "low_threshold", "value") == 0.4
    assert published_value("pollastri2020", "ensemble", "mean_jaccard", "value") is None  # not in the text
    assert published_value("pollastri2020", "scalability", 500, "jaccard_dcgan_two_step") is None  # chart only
    # 11% - 20% failure rate = 69 / 600 and 119 / 600
    e = {r[0]: r[1] for r in published_table("pollastri2020", "ensemble").rows}
    assert abs(100 * e["images_jaccard_below_0.6"] / e["test_images"] - e["failure_rate_min_pct"]) <= 0.5  # 11.5
    assert abs(100 * e["images_jaccard_below_0.7"] / e["test_images"] - e["failure_rate_max_pct"]) <= 0.5  # 19.8


def test_fossen_values():
    assert published_value("fossen2020", "table2", "ISIC-0", "MEL_precision") == 0.823
    assert published_value("fossen2020", "table2", "ISIC-0", "MEL_recall") == 0.721
    assert published_value("fossen2020", "table2", "cyclegan-0.441", "accuracy") == 0.864
    assert published_value("fossen2020", "table2", "acgan-0.542", "VASC_precision") == 1.0
    assert published_value("fossen2020", "table3", 6000, "mel_recall@alpha=1/8") == 0.759
    assert published_value("fossen2020", "table3", "ISIC-0", "acc@alpha=1") == 0.856
    assert published_value("fossen2020", "table1", "Sum", "train") == 20264
    t1 = published_table("fossen2020", "table1")
    for i in (1, 2, 3):  # the Sum row is the column sum
        assert sum(r[i] for r in t1.rows[:-1]) == t1.rows[-1][i]
    assert sum(t1.rows[-1][1:]) == 25331  # "25.331 images" in the text


def test_fossen_fractions_match_added_image_counts():
    """Table 2's fractions are n / (20264 + n); Table 3's are n / (13918 + n), 13918 = NV + MEL train images."""
    t2 = published_table("fossen2020", "table2")
    for r in t2.records():
        n = r["added_images"]
        assert abs(n / (20264 + n) - r["synthetic_fraction"]) < 6e-4, r["model"]
    assert sorted({r["added_images"] for r in t2.records()}) == [0, 2000, 4000, 8000, 16000, 24000]
    train = {r[0]: r[1] for r in published_table("fossen2020", "table1").rows}
    base = train["NV"] + train["MEL"]
    assert base == 13918
    for r in published_table("fossen2020", "table3").records():
        n = r["num_generated"]
        assert abs(n / (base + n) - r["synthetic_fraction"]) < 6e-4, r["model"]
        assert str(n) == r["model"] or (n == 0 and r["model"] == "ISIC-0")


def test_fossen_baselines_agree_across_tables():
    t3 = published_table("fossen2020", "table3")
    for alpha in ("1/8", "1/4", "1/2", "1"):
        assert published_value("fossen2020", "table3", "ISIC-0", f"mel_precision@alpha={alpha}") == 0.823
        assert published_value("fossen2020", "table3", "ISIC-0", f"mel_recall@alpha={alpha}") == 0.721
        assert published_value("fossen2020", "table3", "ISIC-0", f"acc@alpha={alpha}") == 0.856
    assert len(t3.rows) * 4 - 4 == 32  # 8 synthetic-set sizes x 4 alphas = 32 classifiers (+ the baseline)


def test_lunagariya_says_it_has_no_sample_quality_numbers():
    own = published_table("lunagariya", "own_sample_quality")
    assert all(v is None for row in own.rows for v in row[1:])
    assert "no quantitative sample-quality numbers" in own.notes
    survey = published_table("lunagariya", "melanogans_survey")
    assert all(r[2] is None and r[3] is None for r in survey.rows)
    assert published_value("lunagariya", "loss_comparison", "Discriminator", "DCGAN") == 0.57
    assert published_value("lunagariya", "loss_comparison", "Generator", "PGGAN") == 3.98


# ---- errors -----------------------------------------------------------------------------------------------------


def test_unknown_paper_names_the_valid_keys():
    with pytest.raises(ConfigError) as e:
        published_tables("goodfellow2014")
    for key in PAPERS:
        assert key in str(e.value)
    with pytest.raises(ValueError):  # ConfigError is a ValueError
        published_value("nope", "table1", "Real", "auc_mean_pct")


def test_unknown_table_row_or_column_names_the_valid_ones():
    with pytest.raises(ConfigError, match="table1"):
        published_table("bissoto2018", "table9")
    with pytest.raises(ConfigError, match="Real\\+Instance\\+PGAN"):
        published_value("bissoto2018", "table1", "Real+DCGAN", "auc_mean_pct")
    with pytest.raises(ConfigError, match="auc_mean_pct"):
        published_value("bissoto2018", "table1", "Real", "auc")


# ---- against the paper texts (where shared/papers exists) -------------------------------------------------------


def _num(s):
    return float(s.replace(",", ""))


@needs_text
def test_bissoto_table1_matches_text():
    lines = _lines("bissoto2018", 128, 139)
    assert lines[0].startswith("Table 1:") and "10 times" in lines[0]
    pat = re.compile(r"^(\S+)\t\$([\d.]+) \\pm ([\d.]+)\$\t([\d,]+)\t(?:\$([\d.]+) \\times 10\^\{(-\d+)\}\$|—)$")
    parsed = []
    assert lines[2] == "Training Data\tAUC (%)\tTraining Data Size\tp-value"
    for line in lines[3:]:
        m = pat.match(line)
        assert m, line
        p = None if m.group(5) is None else float(f"{m.group(5)}e{m.group(6)}")
        parsed.append((m.group(1).replace("×", "x"), _num(m.group(2)), _num(m.group(3)), int(_num(m.group(4))), p))
    assert tuple(parsed) == published_table("bissoto2018", "table1").rows
    text = "\n".join(_lines("bissoto2018", 1, 200))
    assert "test augmentation with 50 replicas" in text and "we run each experiment 10 times" in text
    assert "Interactive Atlas of Dermoscopy [3] with 900 dermoscopic images (270 melanomas)" in text


def _block(paper, first, count):
    return [_num(x) if x != "—" else None for x in _lines(paper, first, first + count - 1)]


@needs_text
def test_pollastri_tables_match_text():
    # Table 2 is listed column by column: 7 values per column, blank line between
    t2 = published_table("pollastri2020", "table2")
    assert [r[0] for r in t2.rows] == _lines("pollastri2020", 344, 350)
    for col, first in zip(t2.columns[1:], (352, 360, 368, 376)):
        assert _block("pollastri2020", first, 7) == [r[t2.columns.index(col)] for r in t2.rows], col
    t3 = published_table("pollastri2020", "table3")
    assert [r[0] for r in t3.rows] == _lines("pollastri2020", 449, 450)
    for i, first in enumerate((452, 455, 458, 461), start=1):
        assert _block("pollastri2020", first, 2) == [r[i] for r in t3.rows]
    t1 = published_table("pollastri2020", "table1")
    sizes = [tuple(int(x) for x in s.split(" × ")) for s in _lines("pollastri2020", 208, 214)]
    assert sizes == [(r[1], r[2]) for r in t1.rows]
    assert [int(x) for x in _lines("pollastri2020", 216, 222)] == [r[3] for r in t1.rows]
    assert [int(x) for x in _lines("pollastri2020", 233, 239)] == [r[4] for r in t1.rows]
    text = "\n".join(_lines("pollastri2020", 464, 509))
    for needle in ("high threshold (0.8)", "lower threshold (0.4)", "below 0.6 for 69 images", "below 0.7 for 119",
                   "between 11% and 20% on the 600 samples test set", "500, 1000 and 1500 images",
                   "up to 58% more annotated images", "138% more real annotated images"):
        assert needle in text, needle
    assert "2017 ISIC challenge public test set" in "\n".join(_lines("pollastri2020", 384, 386))


@needs_text
def test_fossen_tables_match_text():
    t2 = published_table("fossen2020", "table2")
    header = _lines("fossen2020", 187, 187)[0].split("\t")
    assert header == ["Model", "MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "Accuracy"]
    for line, row in zip(_lines("fossen2020", 188, 198), t2.rows, strict=True):
        cells = re.sub(r"</?b>| (?=\d)", "", line).split("\t")
        assert cells[0] == row[0]
        values = [_num(v) for cell in cells[1:9] for v in cell.split("/")]
        assert tuple(values) + (_num(cells[9]),) == row[4:], row[0]
    t3 = published_table("fossen2020", "table3")
    for line, row in zip(_lines("fossen2020", 205, 213), t3.rows, strict=True):
        cells = line.split("\t")
        m = re.match(r"^(\S+) \(([\d.]+)\)$", cells[0])
        assert m and m.group(1) == row[0] and _num(m.group(2)) == row[2]
        assert tuple(_num(v) for v in cells[1:]) == row[3:], row[0]
    t1 = published_table("fossen2020", "table1")
    for line, row in zip(_lines("fossen2020", 125, 133), t1.rows, strict=True):
        cells = line.split("\t")
        assert cells[0] == row[0] and tuple(int(v) for v in cells[1:]) == row[1:]
    assert "2000, 4000, 8000, 16000 and 24000 added images" in _lines("fossen2020", 137, 137)[0]
    assert "$\\alpha = 1/8, 1/4, 1/2, 1$" in _lines("fossen2020", 161, 161)[0]
    quoted = _lines("fossen2020", 39, 39)[0]
    for row in published_table("fossen2020", "quoted_melanogans").rows:
        for v in row[1:]:
            assert f"{v:.4f}" in quoted


@needs_text
def test_lunagariya_matches_text():
    assert _lines("lunagariya", 469, 471) == ["Loss\tDCGAN\tPGGAN", "Discriminator\t0.57\t0.05", "Generator\t3.1\t3.98"]
    text = "\n".join(_lines("lunagariya", 1, 500))
    # the report names the metrics but prints no value for them, and no FID at all
    assert "JS Divergence" in text and "Wasserstein distance" in text and "FID" not in text
    assert "64x64 px" in text and "96x96 px" in text
