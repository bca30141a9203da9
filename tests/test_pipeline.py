"""The GAN input pipeline: value ranges, mask stacking, determinism, exact resume, latents."""

import numpy as np
import pytest
import tensorflow as tf

from tfskin.data.pipeline import draw_latents, gan_batches
from tfskin.data.sources import load_examples


def _examples(n=24, size=(16, 24)):
    rng = np.random.default_rng(0)
    return tf.data.Dataset.from_tensor_slices({
        "image": rng.integers(0, 256, (n, *size, 3), dtype=np.uint8),
        "mask": (rng.integers(0, 2, (n, *size, 1)) * 255).astype(np.uint8),
        "label": np.arange(n, dtype=np.int64) % 8,
    })


def _take(ds, k):
    return list(ds.take(k).as_numpy_iterator())


def test_batches_are_scaled_stacked_and_shaped():
    ds = gan_batches(_examples(), batch_size=4, channels=4, latent_spec={"noise": ((5,), "normal")})
    batch = next(iter(ds.as_numpy_iterator()))
    assert batch["images"].shape == (4, 16, 24, 4) and batch["images"].dtype == np.float32
    assert batch["images"].min() >= -1.0 and batch["images"].max() <= 1.0
    assert set(np.unique(batch["images"][..., 3])) <= {-1.0, 1.0}  # the mask channel
    assert batch["noise"].shape == (4, 5) and batch["labels"].dtype == np.int32


def test_stream_is_deterministic_and_resumes_exactly():
    make = lambda start: gan_batches(_examples(), batch_size=4, seed=3, start_step=start,
                                     latent_spec={"noise": ((5,), "normal")})
    full = _take(make(0), 9)  # crosses two epochs of 6 batches
    again = _take(make(0), 9)
    resumed = _take(make(5), 4)
    for a, b in zip(full, again):
        np.testing.assert_array_equal(a["images"], b["images"])
        np.testing.assert_array_equal(a["noise"], b["noise"])
    for a, b in zip(full[5:], resumed):
        np.testing.assert_array_equal(a["images"], b["images"])
        np.testing.assert_array_equal(a["noise"], b["noise"])
        np.testing.assert_array_equal(a["labels"], b["labels"])
    # the two epochs are shuffled differently, and other seeds give other streams
    assert not np.array_equal(full[0]["labels"], full[6]["labels"])
    other = _take(gan_batches(_examples(), batch_size=4, seed=4), 1)[0]
    assert not np.array_equal(other["images"], full[0]["images"])


def test_augmentation_only_flips_and_transposes():
    square = tf.data.Dataset.from_tensor_slices({"image": np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3),
                                                 "label": np.zeros(2, np.int64)})
    batch = next(iter(gan_batches(square, batch_size=2, shuffle_buffer=1, seed=1).as_numpy_iterator()))
    original = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3) / 127.5 - 1.0
    for got, src in zip(batch["images"], original):
        poses = [np.rot90(np.flip(src, 1) if f else src, k) for f in (0, 1) for k in range(4)]
        assert any(np.allclose(got, p) for p in poses)


def test_categorical_latents_follow_the_prior():
    spec = {"label": ((), ("categorical", 3, [0.0, 0.2, 0.8]))}
    labels = draw_latents(spec, 4000, tf.constant([1, 2], tf.int64))["label"].numpy()
    assert set(np.unique(labels)) <= {1, 2}
    assert 0.75 < np.mean(labels == 2) < 0.85


def test_phantom_source_and_class_filter():
    ds = load_examples("phantoms", "train", (32, 32), num_examples=64, classes=["NV"])
    labels = [ex["label"] for ex in ds.as_numpy_iterator()]
    assert labels and set(labels) == {1}
    with pytest.raises(ValueError, match="valid datasets: .*phantoms"):
        load_examples("no_such_dataset")
    with pytest.raises(ValueError, match="no split"):
        load_examples("phantoms", "dev", (32, 32))


def test_phantom_splits_do_not_overlap():
    train = load_examples("phantoms", "train", (16, 16), num_examples=32, features=("image", "index"))
    test = load_examples("phantoms", "test", (16, 16), num_examples=32, features=("image", "index"))
    train_ids = {int(ex["index"]) for ex in train.as_numpy_iterator()}
    test_ids = {int(ex["index"]) for ex in test.as_numpy_iterator()}
    assert len(train_ids) == 32 and not train_ids & test_ids


def test_class_names_select_by_own_or_isic2019_vocabulary():
    from tfskin.data.sources import label_indices

    assert label_indices("phantoms", ["MEL", "NV"]) == [0, 1]
    own = ("melanoma", "nevus", "seborrheic_keratosis")  # ISIC 2017's own label order
    assert label_indices("isic2017", ["MEL"]) == [own.index("melanoma")]
    assert label_indices("isic2017", ["nevus"]) == [own.index("nevus")]
    with pytest.raises(ValueError, match="has no class 'VASC'; valid classes: benign, malignant"):
        label_indices("isic2016", ["VASC"])
