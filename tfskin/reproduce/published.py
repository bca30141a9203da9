"""The published figures of the four papers tfskin reproduces, as data.

``tfskin reproduce PAPER`` prints these beside what it measured ("published, <dataset>" against "measured,
phantoms"). Every number is copied as printed from the paper text (``PAPER_FILES``, in ``shared/papers/``);
each table's ``source`` names the file and line range it comes from. Where the paper gives no number (a value
only drawn in a figure, a sentence cut off in the text) the cell is ``None`` and ``notes`` says why: nothing
here is read off a chart or guessed.

Pure Python: no TensorFlow, no NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfskin.errors import ConfigError

PAPER_TITLES: dict[str, str] = {
    "bissoto2018": (
        "A. Bissoto, F. Perez, E. Valle, S. Avila: Skin Lesion Synthesis with Generative Adversarial Networks. "
        "In: OR 2.0 Context-Aware Operating Theaters, Computer Assisted Robotic Endoscopy, Clinical Image-Based "
        "Procedures, and Skin Image Analysis (ISIC Skin Image Analysis Workshop @ MICCAI), Springer, 2018, "
        "pp. 294-302"
    ),
    "lunagariya": (
        "H. Lunagariya, M. Patel: Skin Lesion Synthesis using GANs. Mini Project III report, B.Tech. in Computer "
        "Engineering, Institute of Technology, Nirma University, Ahmedabad (guide: K. Tewani); the report states "
        "no year"
    ),
    "pollastri2020": (
        "F. Pollastri, F. Bolelli, R. Paredes, C. Grana: Augmenting data with GANs to segment melanoma skin "
        "lesions. Multimedia Tools and Applications, 2020"
    ),
    "fossen2020": (
        "S. Fossen-Romsaas, A. Storm-Johannessen, A. S. Lundervold: Synthesizing skin lesion images using "
        "CycleGANs - a case study. Norsk IKT-konferanse for forskning og utdanning (NIK), 2020"
    ),
}

# The text extraction each paper's figures were copied from (``shared/papers/<file>``).
PAPER_FILES: dict[str, str] = {
    "bissoto2018": "000_1f9777edee91db42.txt",
    "lunagariya": "001_2c0791134fd6c795.txt",
    "pollastri2020": "002_4f341ab9cff2de53.txt",
    "fossen2020": "003_bc779e77228c0b76.txt",
}


@dataclass(frozen=True)
class PublishedTable:
    """One published table (or one set of figures stated in a paper's prose), cell values as printed."""

    paper: str  # a key of PAPER_TITLES
    id: str  # stable short id within the paper: "table1", "ensemble", ...
    citation: str  # short: "Bissoto et al. 2018, Table 1"
    caption: str  # what the numbers are: metric and units, dataset, test set, runs
    columns: tuple[str, ...]  # the first column names the row
    rows: tuple[tuple[Any, ...], ...]  # None where the paper gives no value
    source: str = ""  # "<paper file>:<first line>-<last line>"
    notes: str = ""  # what is missing, ambiguous or inferred
    quoted_from: str = ""  # non-empty when the figures are another work's, quoted by this paper
    setup: dict[str, Any] = field(default_factory=dict)  # protocol facts stated in the text (runs, test set)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.rows]

    def row_names(self) -> tuple[str, ...]:
        return tuple(str(row[0]) for row in self.rows)


def _norm(name: Any) -> str:
    """Lookup key: case-, space- and symbol-insensitive ("Real+2xPGAN" finds "Real + 2×PGAN")."""
    return "".join(str(name).casefold().replace("×", "x").replace("→", "->").split())


# --------------------------------------------------------------------------------------------------------------
# Bissoto et al. 2018 (000_1f9777edee91db42.txt)
# --------------------------------------------------------------------------------------------------------------

_BISSOTO_TABLE1 = PublishedTable(
    paper="bissoto2018",
    id="table1",
    citation="Bissoto et al. 2018, Table 1",
    caption=(
        "Melanoma-vs-benign classifier (Inception-v4, test-time augmentation with 50 replicas) trained on each "
        "training set: AUC (%) mean ± spread over 10 training runs, training-set size (images), and the p-value of "
        "a paired samples t-test against 'Real+Instance+PGAN'. Real = the ISIC 2018 task 2 train split (2,346 "
        "images); test set = Interactive Atlas of Dermoscopy (900 dermoscopic images, 270 melanomas), not ISIC."
    ),
    columns=("training_data", "auc_mean_pct", "auc_std_pct", "training_size", "p_value"),
    # 000_1f9777edee91db42.txt lines 128-139 (caption 128, header 130, rows 131-139)
    rows=(
        ("Real", 83.4, 0.9, 2346, 2.5e-3),
        ("Instance", 82.0, 0.7, 2346, 2.8e-5),
        ("Semantic", 78.1, 1.2, 2346, 6.9e-8),
        ("PGAN", 73.3, 1.5, 2346, 2.3e-9),
        ("Real+Instance", 82.8, 0.8, 4692, 1.1e-4),
        ("Real+Semantic", 82.6, 0.8, 4692, 1.2e-4),
        ("Real+PGAN", 83.7, 0.8, 4692, 2.6e-2),
        ("Real+2xPGAN", 83.6, 1.0, 7038, 2.0e-2),  # printed "Real+2×PGAN"; ASCII like tfskin's condition names
        ("Real+Instance+PGAN", 84.7, 0.5, 7038, None),  # the reference of the t-tests: printed "—"
    ),
    source="000_1f9777edee91db42.txt:128-139",
    notes=(
        "The paper prints 'mean ± x' without saying whether x is the standard deviation (assumed: std over the "
        "10 runs). Instance / Semantic = pix2pixHD samples from semantic+instance / semantic-only label maps; "
        "PGAN = the authors' label-conditioned progressive GAN, sampled at the real set's benign:malignant ratio; "
        "'Real+2xPGAN' (printed 'Real+2×PGAN') replaces the Instance images of 'Real+Instance+PGAN' with new "
        "PGAN samples (lines 126, 141). Text: 'all differences were significant (p-value < 0.05)' (line 120). "
        "The introduction (line 31) calls the gain '1 percentage point', Sec. 3.4 (line 124) '1.3 percentage "
        "point' (84.7 - 83.4). The classifier is trained on ISIC 2018 (task 2) images, real and synthetic, but "
        "tested on the Interactive Atlas of Dermoscopy: the published test set is not ISIC."
    ),
    setup={
        "runs": 10,  # line 118 ("we run each experiment 10 times"), caption line 128
        "tta_replicas": 50,  # line 95
        "classifier": "Inception-v4 (Menegola et al., ISIC 2017 winner), no meta-learning SVM",  # line 95
        "train_set": "ISIC 2018 task 2 training data (2,594 images) split 2,346 train / 248 test; "
        "classifier uses the 2,346-image train split only",  # lines 81-87
        "test_set": "Interactive Atlas of Dermoscopy, 900 dermoscopic images (270 melanomas)",  # line 87
        "test_images": 900,
        "test_melanomas": 270,
        "pgan_train_data": "ISIC 2017 (2,000) + ISIC Archive (13,000) + Dermofit (1,300) + PH2 (200)",  # line 85
        "synthetic_set_size": 2346,  # line 120
        "statistical_test": "paired samples t-test vs Real+Instance+PGAN, 95% confidence",  # line 120
        "metric": "AUC (%) on real test images",
    },
)

# --------------------------------------------------------------------------------------------------------------
# Lunagariya & Patel (001_2c0791134fd6c795.txt)
# --------------------------------------------------------------------------------------------------------------

_LUNAGARIYA_OWN = PublishedTable(
    paper="lunagariya",
    id="own_sample_quality",
    citation="Lunagariya & Patel, Sec. 7 (Implementation and Results)",
    caption=(
        "Sample-quality figures for the report's own DCGAN (64x64) and phase-frozen progressive GAN "
        "(16 -> 32 -> 64), trained on ISIC 2017 for 500 epochs, batch 64: NONE are reported."
    ),
    columns=("model", "fid", "js_divergence", "wasserstein_distance", "num_samples"),
    # 001_2c0791134fd6c795.txt lines 288-471: only layer tables, loss curves and sample grids (figures)
    rows=(
        ("DCGAN", None, None, None, None),
        ("PGGAN (phase-frozen)", None, None, None, None),
    ),
    source="001_2c0791134fd6c795.txt:288-471",
    notes=(
        "The report gives no quantitative sample-quality numbers for its own models: no FID, no colour-histogram "
        "JS divergence, no Wasserstein distance, no number of generated samples; its results are loss curves and "
        "image grids (figures 7.1-7.9, not in the text) and the loss table of Sec. 7.3 ('loss_comparison')."
    ),
    setup={
        "epochs": 500,  # lines 335, 399
        "batch_size": 64,
        "train_data": "ISIC 2017 dermoscopic images",
        "loss": "binary cross-entropy, Adam",
        "pgan_phases": (16, 32, 64),  # lines 403-413
    },
)

_LUNAGARIYA_LOSSES = PublishedTable(
    paper="lunagariya",
    id="loss_comparison",
    citation="Lunagariya & Patel, Sec. 7.3 (Comparison)",
    caption="Discriminator and generator BCE loss of the report's DCGAN and progressive GAN (PGGAN).",
    columns=("loss", "DCGAN", "PGGAN"),
    # 001_2c0791134fd6c795.txt lines 469-471
    rows=(
        ("Discriminator", 0.57, 0.05),
        ("Generator", 3.1, 3.98),
    ),
    source="001_2c0791134fd6c795.txt:469-471",
    notes=(
        "Training-loss values, not a sample-quality measure; the report does not say at which epoch or phase "
        "they were taken (presumably the end of training) nor whether they are averaged."
    ),
)

_LUNAGARIYA_SURVEY = PublishedTable(
    paper="lunagariya",
    id="melanogans_survey",
    citation="Lunagariya & Patel, Sec. 6.1 (survey of MelanoGANs, Baur et al. 2018)",
    caption=(
        "MelanoGANs as summarised by the report: GANs trained on ISIC 2017 (2,000 images at 256x256: 1,372 "
        "benign, 374 melanoma, 254 seborrheic keratosis), evaluated by JS divergence of normalised colour "
        "histograms against the training set and by Wasserstein distance. Resolution = where the report says "
        "the model 'can work well' / 'can generate'."
    ),
    columns=("model", "resolution_px", "js_divergence", "wasserstein_distance"),
    # 001_2c0791134fd6c795.txt lines 228-252
    rows=(
        ("DCGAN", "64x64", None, None),
        ("LAPGAN", "96x96", None, None),
        ("DDGAN", None, None, None),
    ),
    source="001_2c0791134fd6c795.txt:228-252",
    notes=(
        "The report names the two metrics (colour-histogram JS divergence, Wasserstein distance) but quotes no "
        "value for any model, and no resolution for DDGAN. Fossen-Romsaas et al. 2020 quote MelanoGANs' "
        "classification accuracies instead (fossen2020 'quoted_melanogans')."
    ),
    quoted_from="C. Baur, S. Albarqouni, N. Navab: MelanoGANs: High Resolution Skin Lesion Synthesis with GANs, "
    "arXiv:1804.04338, 2018",
    setup={
        "train_images": 2000,
        "benign": 1372,
        "melanoma": 374,
        "seborrheic_keratosis": 254,
    },
)

# --------------------------------------------------------------------------------------------------------------
# Pollastri et al. 2020 (002_4f341ab9cff2de53.txt)
# --------------------------------------------------------------------------------------------------------------

_POLLASTRI_JACCARD = (
    "Jaccard index (the official ISIC 2017 challenge measure, footnote line 396) on the ISIC 2017 challenge "
    "public test set (600 images)"
)

_POLLASTRI_TABLE1 = PublishedTable(
    paper="pollastri2020",
    id="table1",
    citation="Pollastri et al. 2020, Table 1",
    caption=(
        "Hyperparameters of the segmentation networks: input size (height x width), input channels (3 = RGB, "
        "7 = RGB+HSV+L*, 9 = RGB+HSV+CIELAB) and loss (Eq. 1 Tanimoto distance, the baseline's 'Jaccard-based' "
        "loss; Eq. 3 generalized Jaccard distance; Eq. 4 mean squared error)."
    ),
    columns=("network", "image_height", "image_width", "image_channels", "loss_equation"),
    # 002_4f341ab9cff2de53.txt lines 191-240 (the text lists the table column by column)
    rows=(
        ("CDNN0", 192, 256, 7, 1),
        ("CDNN1", 192, 256, 3, 1),
        ("CDNN2", 192, 256, 9, 1),
        ("CDNN3", 96, 128, 7, 1),
        ("CDNN4", 384, 512, 7, 1),
        ("CDNN5", 192, 256, 7, 3),
        ("CDNN6", 192, 256, 7, 4),
    ),
    source="002_4f341ab9cff2de53.txt:191-240",
)

_POLLASTRI_TABLE2 = PublishedTable(
    paper="pollastri2020",
    id="table2",
    citation="Pollastri et al. 2020, Table 2",
    caption=(
        f"CDNN0-CDNN6: {_POLLASTRI_JACCARD}. 'Original Data' = trained on real images only (400 epochs); "
        "'DCGAN / LAPGAN / Both GANs Augmented' = two-step training: 400 epochs on GAN samples drawn fresh for "
        "every batch (Both = alternating the two GANs), then 100 epochs on the 1,882 real images."
    ),
    columns=("network", "original_data", "dcgan_augmented", "lapgan_augmented", "both_gans_augmented"),
    # 002_4f341ab9cff2de53.txt lines 328-382 (listed column by column: original 352-358, DCGAN 360-366,
    # LAPGAN 368-374, both 376-382)
    rows=(
        ("CDNN0", 0.746, 0.751, 0.739, 0.742),
        ("CDNN1", 0.759, 0.753, 0.764, 0.752),
        ("CDNN2", 0.746, 0.756, 0.762, 0.750),
        ("CDNN3", 0.755, 0.762, 0.764, 0.756),
        ("CDNN4", 0.717, None, None, None),  # printed "—": dropped for its low score (line 391)
        ("CDNN5", 0.739, 0.752, 0.740, 0.747),
        ("CDNN6", 0.731, 0.749, 0.756, 0.751),
    ),
    source="002_4f341ab9cff2de53.txt:328-382",
    notes=(
        "The paper does not say how the per-image Jaccard is aggregated (the ISIC 2017 measure is the mean over "
        "test images of the per-image Jaccard) nor the threshold that binarises a single network's output (the "
        "0.8/0.4 dual threshold is described only for the ensemble); 'accuracy' in the prose means this Jaccard. "
        "The bold marks (best approach per network, used in the ensemble) are lost in the text. The prose says "
        "the DCGAN's checkerboard 'has a negative impact' and LAPGAN samples 'get the best response', yet DCGAN "
        "beats real-only for CDNN0/2/3/5/6 and LAPGAN is below real-only for CDNN0. Mixing real and synthetic "
        "images in one training phase instead of two steps cost 0.020 on average (line 313)."
    ),
    setup={
        "train_images": 1882,  # ISIC 2017 training set minus 118 non-dermoscopic images (lines 104-106, 319)
        "removed_non_dermoscopic": 118,
        "test_set": "ISIC 2017 challenge public test set",  # line 386
        "test_images": 600,  # line 479
        "synthetic_epochs": 400,  # line 308
        "real_epochs_after_synthetic": 100,  # line 311
        "real_only_epochs": 400,  # line 317
        "batch_size": 16,  # line 320
        "learning_rate": 0.0003,  # line 321, Adam
        "epoch_definition": "batches needed to feed 1,882 images",  # footnote line 327
        "mixing_instead_of_two_step_delta": -0.020,  # line 313
    },
)

_POLLASTRI_TABLE3 = PublishedTable(
    paper="pollastri2020",
    id="table3",
    citation="Pollastri et al. 2020, Table 3",
    caption=(
        f"U-Net: {_POLLASTRI_JACCARD}, same training strategies as Table 2. Eq. 6 = binary cross-entropy "
        "(the standard U-Net loss); Eq. 1 = the baseline CDNN's Tanimoto loss."
    ),
    columns=("loss", "original_data", "dcgan_augmented", "lapgan_augmented", "both_gans_augmented"),
    # 002_4f341ab9cff2de53.txt lines 433-462
    rows=(
        ("Eq. 6", 0.753, 0.755, 0.767, 0.764),
        ("Eq. 1", 0.744, 0.755, 0.762, 0.760),
    ),
    source="002_4f341ab9cff2de53.txt:433-462",
    notes="Bold marks (best approaches) are lost in the text.",
)

_POLLASTRI_ENSEMBLE = PublishedTable(
    paper="pollastri2020",
    id="ensemble",
    citation="Pollastri et al. 2020, Sec. 5.2 and Fig. 7",
    caption=(
        "Ensemble: per-pixel mean of CDNN0-3, CDNN5, CDNN6 (all but CDNN4), high threshold 0.8 + connected "
        "components (largest object's centre = tumour centre), then low threshold 0.4; per-image Jaccard on the "
        "600-image ISIC 2017 test set."
    ),
    columns=("quantity", "value"),
    # 002_4f341ab9cff2de53.txt lines 464-479
    rows=(
        ("members", "CDNN0, CDNN1, CDNN2, CDNN3, CDNN5, CDNN6"),
        ("high_threshold", 0.8),
        ("low_threshold", 0.4),
        ("test_images", 600),
        ("images_jaccard_below_0.6", 69),
        ("images_jaccard_below_0.7", 119),
        ("failure_rate_min_pct", 11),
        ("failure_rate_max_pct", 20),
        ("mean_jaccard", None),  # not in the text: see notes
    ),
    source="002_4f341ab9cff2de53.txt:464-479",
    notes=(
        "The ensemble's overall Jaccard is not in the text: the sentence describing the final mask breaks off "
        "at line 469 ('...the final segmentation mask') and the text resumes at the Fig. 7 caption. Which "
        "training strategy (real-only / DCGAN / LAPGAN) each member used is given only by bold marks in "
        "Table 2, lost in the text. The '11% to 20%' failure rate is 69/600 = 11.5% (printed 11) and "
        "119/600 = 19.8% (Jaccard < 0.6 / < 0.7)."
    ),
)

_POLLASTRI_SCALABILITY = PublishedTable(
    paper="pollastri2020",
    id="scalability",
    citation="Pollastri et al. 2020, Sec. 5.3, Figs. 8-9",
    caption=(
        "CDNN0 trained on ISIC 2017 training subsets of 500 / 1000 / 1500 images, real only vs two-step with a "
        "DCGAN (Fig. 8) or LAPGAN (Fig. 9) trained on the same subset; Jaccard on the test set."
    ),
    columns=("subset_size", "jaccard_real_only", "jaccard_dcgan_two_step", "jaccard_lapgan_two_step"),
    # 002_4f341ab9cff2de53.txt lines 481-509: the values are only in the charts of Figs. 8-9
    rows=(
        (500, None, None, None),
        (1000, None, None, None),
        (1500, None, None, None),
    ),
    source="002_4f341ab9cff2de53.txt:481-509",
    notes=(
        "The Jaccard values are drawn only in Figs. 8-9, not given in the text. The prose gives two summary "
        "figures: with the DCGAN 'one would need up to 58% more annotated images to obtain the improvement' "
        "(line 491); with the LAPGAN on 500 images the boost is 'equivalent to 138% more real annotated images' "
        "(line 505). LAPGAN beats DCGAN at 500 images; the DCGAN improves as the subset grows."
    ),
    setup={
        "network": "CDNN0",
        "dcgan_equivalent_extra_real_images_pct_max": 58,
        "lapgan_500_equivalent_extra_real_images_pct": 138,
    },
)

# --------------------------------------------------------------------------------------------------------------
# Fossen-Romsaas et al. 2020 (003_bc779e77228c0b76.txt)
# --------------------------------------------------------------------------------------------------------------

_FOSSEN_CLASSES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")  # Table 2's column order

_FOSSEN_TABLE1 = PublishedTable(
    paper="fossen2020",
    id="table1",
    citation="Fossen-Romsaas et al. 2020, Table 1",
    caption=(
        "Random train / validation / test split of the ISIC 2019 challenge training data (25,331 images, "
        "8 classes), images per class, used in Experiment 1 (and for the classifier)."
    ),
    columns=("label", "train", "validation", "test"),
    # 003_bc779e77228c0b76.txt lines 124-135
    rows=(
        ("NV", 10300, 1287, 1288),
        ("MEL", 3618, 452, 452),
        ("BCC", 2658, 332, 333),
        ("BKL", 2099, 262, 263),
        ("AK", 694, 87, 86),
        ("SCC", 502, 63, 63),
        ("VASC", 202, 26, 25),
        ("DF", 191, 24, 24),
        ("Sum", 20264, 2533, 2534),
    ),
    source="003_bc779e77228c0b76.txt:124-135",
    notes="The text writes the total as '25.331 images' (line 50); 20264 + 2533 + 2534 = 25331.",
)


def _pr(model: str, condition: str, fraction: float, added: int, cells: str, accuracy: float) -> tuple:
    """One Table 2 row from its printed "precision/recall" cells (class order of ``_FOSSEN_CLASSES``)."""
    values = tuple(float(v) for cell in cells.split() for v in cell.split("/"))
    if len(values) != 2 * len(_FOSSEN_CLASSES):
        raise ValueError(f"Table 2 row {model}: {len(values)} values for {len(_FOSSEN_CLASSES)} classes")
    return (model, condition, fraction, added, *values, accuracy)


_RA, _RC = "real + ACGAN", "real + ACGAN->CycleGAN"


_FOSSEN_TABLE2 = PublishedTable(
    paper="fossen2020",
    id="table2",
    citation="Fossen-Romsaas et al. 2020, Table 2",
    caption=(
        "Experiment 1: ResNet-50 classifier (ImageNet-pretrained, fastai, Adam, 1cycle) trained on the real "
        "ISIC 2019 train split plus ACGAN samples ('acgan-f') or ACGAN samples refined by per-class CycleGANs "
        "('cyclegan-f'); per-class precision / recall on the held-out real test split (2,534 images, Table 1). "
        "'accuracy' is printed as 'Accuracy' and defined by the caption as 'the F1 score across all classes'. "
        "f = the printed fraction of generated images in the training set."
    ),
    columns=(
        "model",
        "condition",
        "synthetic_fraction",
        "added_images",
        *(f"{c}_{m}" for c in _FOSSEN_CLASSES for m in ("precision", "recall")),
        "accuracy",
    ),
    # 003_bc779e77228c0b76.txt lines 187-200 (header 187, rows 188-198, caption 200)
    rows=(
        # model, condition, printed fraction, added images, "MEL NV BCC AK BKL DF VASC SCC" precision/recall, acc
        _pr("ISIC-0", "real", 0.0, 0,
            "0.823/0.721 0.894/0.939 0.854/0.877 0.761/0.628 0.786/0.783 0.708/0.708 0.913/0.84 0.683/0.683", 0.856),
        _pr("acgan-0.09", _RA, 0.09, 2000,
            "0.763/0.757 0.909/0.911 0.824/0.925 0.736/0.616 0.752/0.692 0.727/0.667 0.957/0.88 0.738/0.714", 0.845),
        _pr("cyclegan-0.09", _RC, 0.09, 2000,
            "0.782/0.739 0.903/0.925 0.853/0.889 0.679/0.64 0.78/0.753 0.692/0.75 1.0/0.8 0.712/0.667", 0.85),
        _pr("cyclegan-0.165", _RC, 0.165, 4000,
            "0.803/0.748 0.894/0.932 0.864/0.898 0.651/0.651 0.826/0.741 0.857/0.75 0.846/0.88 0.714/0.635", 0.856),
        _pr("acgan-0.165", _RA, 0.165, 4000,
            "0.811/0.701 0.883/0.94 0.845/0.883 0.675/0.605 0.795/0.738 0.783/0.75 0.95/0.76 0.695/0.651", 0.847),
        _pr("cyclegan-0.283", _RC, 0.283, 8000,
            "0.797/0.748 0.892/0.93 0.861/0.895 0.671/0.64 0.785/0.722 0.762/0.667 0.84/0.84 0.804/0.651", 0.851),
        _pr("acgan-0.283", _RA, 0.283, 8000,
            "0.812/0.743 0.9/0.938 0.846/0.889 0.671/0.616 0.802/0.753 0.842/0.667 0.88/0.88 0.707/0.651", 0.856),
        _pr("acgan-0.441", _RA, 0.441, 16000,
            "0.839/0.701 0.885/0.946 0.839/0.889 0.685/0.709 0.793/0.73 0.783/0.75 0.95/0.76 0.698/0.587", 0.852),
        _pr("cyclegan-0.441", _RC, 0.441, 16000,
            "0.813/0.759 0.907/0.942 0.842/0.913 0.738/0.686 0.807/0.73 0.857/0.75 0.952/0.8 0.741/0.635", 0.864),
        _pr("acgan-0.542", _RA, 0.542, 24000,
            "0.806/0.706 0.896/0.932 0.844/0.91 0.638/0.698 0.785/0.734 0.8/0.667 1.0/0.8 0.644/0.603", 0.848),
        _pr("cyclegan-0.542", _RC, 0.542, 24000,
            "0.785/0.752 0.895/0.936 0.845/0.886 0.641/0.581 0.824/0.711 0.762/0.667 0.958/0.92 0.696/0.619", 0.85),
    ),
    source="003_bc779e77228c0b76.txt:187-200",
    notes=(
        "Rows in the printed order. 'added_images' is not printed in the table: the caption says the number of "
        "generated images is 'indicated under Model', but the model names carry a fraction; the text (line 137) "
        "lists 2000, 4000, 8000, 16000 and 24000 added images, and each printed fraction equals "
        "n / (20264 + n) for one of them (20264 = Table 1 train total), so added_images is that n. No per-class "
        "F1 is given. 'Accuracy' = 'F1 score across all classes' without saying macro / micro / weighted (micro "
        "F1 equals accuracy for single-label classes). Sec. 2 says evaluation uses confusion matrices, "
        "accuracy, sensitivity and specificity, but only precision / recall are printed. A few cells are bold "
        "(e.g. BKL recall 0.783 of ISIC-0, NV recall 0.946 of acgan-0.441) without the rule being stated. "
        "One classifier per condition: no repeats, no spread."
    ),
    setup={
        "classes": _FOSSEN_CLASSES,
        "classifier": "ResNet-50, ImageNet-pretrained (fastai), Adam, 1cycle policy",  # line 58
        "acgan_resolution": 128,  # line 54
        "cyclegan_resolution": 256,
        "train_images": 20264,
        "test_images": 2534,
        "test_set": "random held-out split of the ISIC 2019 challenge training data (Table 1), not the ISIC 2019 "
        "test set",
        "added_images": (2000, 4000, 8000, 16000, 24000),  # line 137
        "models": 11,  # line 137
    },
)

_FOSSEN_ALPHAS = ("1/8", "1/4", "1/2", "1")

_FOSSEN_TABLE3 = PublishedTable(
    paper="fossen2020",
    id="table3",
    citation="Fossen-Romsaas et al. 2020, Table 3",
    caption=(
        "Experiment 2: melanoma images generated from nevus images by a CycleGAN NV -> MEL whose melanoma "
        "training images are the alpha fraction the classifier is most confident about (Path-Rank-Filter), "
        "alpha = 1/8, 1/4, 1/2, 1; num_generated synthetic melanomas added to the classifier's training set; "
        "'acc' (as in Table 2, the all-class F1 / accuracy) and MEL precision / recall on the real test split."
    ),
    columns=(
        "model",
        "num_generated",
        "synthetic_fraction",
        *(f"{m}@alpha={a}" for a in _FOSSEN_ALPHAS for m in ("acc", "mel_precision", "mel_recall")),
    ),
    # 003_bc779e77228c0b76.txt lines 202-215 (header 202-204, rows 205-213, caption 215)
    rows=(
        ("500", 500, 0.035, 0.852, 0.797, 0.712, 0.853, 0.807, 0.712, 0.857, 0.820, 0.724, 0.856, 0.819, 0.710),
        ("1000", 1000, 0.067, 0.851, 0.824, 0.717, 0.848, 0.797, 0.719, 0.861, 0.843, 0.701, 0.851, 0.825, 0.708),
        ("2000", 2000, 0.1256, 0.857, 0.815, 0.730, 0.847, 0.817, 0.719, 0.856, 0.836, 0.732, 0.856, 0.828, 0.712),
        ("3000", 3000, 0.177, 0.858, 0.837, 0.715, 0.857, 0.837, 0.728, 0.857, 0.833, 0.726, 0.859, 0.825, 0.746),
        ("4000", 4000, 0.223, 0.854, 0.801, 0.746, 0.856, 0.802, 0.728, 0.864, 0.855, 0.715, 0.854, 0.807, 0.730),
        ("5000", 5000, 0.264, 0.858, 0.848, 0.717, 0.856, 0.804, 0.754, 0.855, 0.818, 0.737, 0.858, 0.811, 0.741),
        ("6000", 6000, 0.301, 0.865, 0.851, 0.759, 0.852, 0.816, 0.724, 0.856, 0.825, 0.730, 0.858, 0.819, 0.741),
        ("7000", 7000, 0.335, 0.854, 0.781, 0.748, 0.864, 0.810, 0.763, 0.849, 0.783, 0.743, 0.856, 0.819, 0.752),
        ("ISIC-0", 0, 0.0, 0.856, 0.823, 0.721, 0.856, 0.823, 0.721, 0.856, 0.823, 0.721, 0.856, 0.823, 0.721),
    ),
    source="003_bc779e77228c0b76.txt:202-215",
    notes=(
        "32 classifiers = 4 CycleGANs (one per alpha) x 8 synthetic-set sizes (line 161); ISIC-0 (real only) is "
        "repeated under every alpha and matches Table 2's ISIC-0 MEL 0.823/0.721, accuracy 0.856. The printed "
        "fraction (in brackets after the count) is n / (13918 + n), 13918 = NV + MEL train images of Table 1 "
        "(10300 + 3618), not the 20264-image training set that Table 2's fractions use. The alpha fractions of "
        "MEL images kept and the per-alpha CycleGAN training-set sizes are not given as counts. One classifier "
        "per cell: no repeats, no spread."
    ),
    setup={
        "alphas": (1 / 8, 1 / 4, 1 / 2, 1.0),  # line 161
        "cyclegans": 4,
        "synthetic_sets_per_alpha": 8,
        "classifiers": 32,
        "cyclegan_train_classes": ("NV", "MEL"),  # lines 152-154
        "num_generated": (500, 1000, 2000, 3000, 4000, 5000, 6000, 7000),
    },
)

_FOSSEN_MELANOGANS = PublishedTable(
    paper="fossen2020",
    id="quoted_melanogans",
    citation="Fossen-Romsaas et al. 2020, Related work (quoting Baur et al. 2018, MelanoGANs)",
    caption=(
        "MelanoGANs' 3-class skin-lesion classifier, as quoted: B_Full = entire training set, B_Imb = melanoma "
        "images reduced to create class imbalance, + generated = B_Imb's data plus GAN-generated melanomas; "
        "accuracy on the training and validation sets."
    ),
    columns=("model", "train_accuracy", "validation_accuracy"),
    # 003_bc779e77228c0b76.txt line 39
    rows=(
        ("B_Full", 0.9809, 0.7160),
        ("B_Imb", 0.8503, 0.6394),
        ("B_Imb + generated melanoma", 0.9929, 0.7400),
    ),
    source="003_bc779e77228c0b76.txt:39-39",
    notes="Another work's figures quoted in the related work, not Fossen-Romsaas et al.'s own results.",
    quoted_from="C. Baur, S. Albarqouni, N. Navab: MelanoGANs: High Resolution Skin Lesion Synthesis with GANs, "
    "arXiv:1804.04338, 2018",
)

PUBLISHED: dict[str, tuple[PublishedTable, ...]] = {
    "bissoto2018": (_BISSOTO_TABLE1,),
    "lunagariya": (_LUNAGARIYA_OWN, _LUNAGARIYA_LOSSES, _LUNAGARIYA_SURVEY),
    "pollastri2020": (
        _POLLASTRI_TABLE1,
        _POLLASTRI_TABLE2,
        _POLLASTRI_TABLE3,
        _POLLASTRI_ENSEMBLE,
        _POLLASTRI_SCALABILITY,
    ),
    "fossen2020": (_FOSSEN_TABLE1, _FOSSEN_TABLE2, _FOSSEN_TABLE3, _FOSSEN_MELANOGANS),
}


def published_tables(paper: str) -> tuple[PublishedTable, ...]:
    """The published tables of ``paper`` (a key of ``PUBLISHED``); ConfigError naming the keys otherwise."""
    try:
        return PUBLISHED[paper]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown paper {paper!r}: valid papers are {', '.join(sorted(PUBLISHED))}") from None


def published_table(paper: str, table: str) -> PublishedTable:
    """One table of ``paper``, by id ("table1"), citation ("Bissoto et al. 2018, Table 1") or its short form
    ("Table 1"); ConfigError naming the ids otherwise."""
    tables = published_tables(paper)
    key = _norm(table)
    for t in tables:
        if key in {_norm(t.id), _norm(t.citation), _norm(t.citation.split(", ", 1)[-1])}:
            return t
    raise ConfigError(
        f"{paper} has no published table {table!r}: valid tables are {', '.join(t.id for t in tables)}"
    )


def published_value(paper: str, table: str, row: Any, column: str) -> Any:
    """The printed value in ``row`` (the first column's value, e.g. "Real+Instance+PGAN", "CDNN0", 500) and
    ``column`` of a table; None where the paper gives no value. ConfigError for an unknown paper, table, row or
    column, naming the valid ones."""
    t = published_table(paper, table)
    col = {_norm(c): i for i, c in enumerate(t.columns)}.get(_norm(column))
    if col is None:
        raise ConfigError(f"{t.citation} has no column {column!r}: valid columns are {', '.join(t.columns)}")
    for r in t.rows:
        if _norm(r[0]) == _norm(row):
            return r[col]
    raise ConfigError(f"{t.citation} has no row {row!r}: valid rows are {', '.join(t.row_names())}")
