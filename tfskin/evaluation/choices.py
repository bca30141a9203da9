"""The names the evaluation commands accept, kept free of TensorFlow so the command line parses without it."""

TASKS = ("malignant", "melanoma", "multiclass")
EFFICIENTNETS = {f"efficientnet_b{i}": f"EfficientNetB{i}" for i in range(8)}
BACKBONES = ("small_cnn", "inception_v3", "inception_resnet_v2", "resnet50", *EFFICIENTNETS)
SEGMENTATION_LOSSES = ("tanimoto", "jaccard", "mse", "bce")

CHANNEL_MODES = {"rgb": 3, "rgb_hsv_l": 7, "rgb_hsv_lab": 9}
ARCHITECTURES = ("cdnn", "unet")

# The CDNN variants of Pollastri et al. 2020, Table 1 (CDNN0 is the baseline; CDNN5 uses Eq. 3, CDNN6 MSE).
CDNN_VARIANTS = {
    "cdnn0": dict(channels="rgb_hsv_l", image_size=(192, 256), loss="tanimoto"),
    "cdnn1": dict(channels="rgb", image_size=(192, 256), loss="tanimoto"),
    "cdnn2": dict(channels="rgb_hsv_lab", image_size=(192, 256), loss="tanimoto"),
    "cdnn3": dict(channels="rgb_hsv_l", image_size=(96, 128), loss="tanimoto"),
    "cdnn4": dict(channels="rgb_hsv_l", image_size=(384, 512), loss="tanimoto"),
    "cdnn5": dict(channels="rgb_hsv_l", image_size=(192, 256), loss="jaccard"),
    "cdnn6": dict(channels="rgb_hsv_l", image_size=(192, 256), loss="mse"),
}
