"""``dermofit``: the Dermofit Image Library (University of Edinburgh), clinical colour images with lesion masks.

The layout is only partly confirmed from public sources. Assumed here (and checked, failing with a message that
says what was found):

* ``<root>/<CLASS>/<LESION>/<LESION>.png`` and ``<root>/<CLASS>/<LESION>/<LESION>mask.png`` (mask: any 8-bit
  PNG, lesion > 127), one image per lesion folder;
* ``<CLASS>`` is one of the ten class codes in ``LABELS``; a ``__MACOSX`` folder is ignored.

No official split: seeded 80/10/10 by lesion folder.
"""

from __future__ import annotations

import re

from tfskin.data.tfds import common, instructions
from tfskin.data.tfds.base import DEFAULT_FRACTIONS, Record, SkinBuilder, SkinConfig
from tfskin.data.tfds.common import BadInputError, MissingInputError

# Class folder codes (UNCONFIRMED against a real copy): actinic keratosis, basal cell carcinoma, dermatofibroma,
# intraepithelial carcinoma, melanoma, melanocytic nevus, pyogenic granuloma, squamous cell carcinoma,
# seborrhoeic keratosis, haemangioma.
LABELS = ("AK", "BCC", "DF", "IEC", "MEL", "ML", "PYO", "SCC", "SK", "VASC")
MALIGNANT = frozenset({"BCC", "IEC", "MEL", "SCC"})
LAYOUT = "<root>/<CLASS>/<LESION>/<LESION>.png + <LESION>mask.png"

_INSTRUCTIONS = instructions.DERMOFIT

_CITATION = """\
@inproceedings{ballerini2013dermofit, title={A Color and Texture Based Hierarchical K-NN Approach to the
  Classification of Non-melanoma Skin Lesions}, author={Ballerini, Lucia and Fisher, Robert B. and Aldridge, Ben
  and Rees, Jonathan}, booktitle={Color Medical Image Analysis}, pages={63--86}, publisher={Springer}, year={2013}}
"""


class Dermofit(SkinBuilder):
    """Dermofit: 1,300 clinical images of ten lesion classes with lesion masks."""

    name = "dermofit"
    DESCRIPTION = ("Dermofit Image Library: 1,300 clinical (non-dermoscopic) colour images of ten lesion classes "
                   "with binary lesion masks.")
    HOMEPAGE = "https://licensing.edinburgh-innovations.ed.ac.uk/product/dermofit-image-library"
    CITATION = _CITATION
    MANUAL_DOWNLOAD_INSTRUCTIONS = _INSTRUCTIONS
    BUILDER_CONFIGS = [
        SkinConfig(name="dermofit", description="Ten class codes from the folder names, lesion masks, SLIC "
                                                "superpixels; seeded 80/10/10 split by lesion.",
                   labels=LABELS, has_malignant=True, has_mask=True, superpixels="slic",
                   split_fractions=DEFAULT_FRACTIONS),
    ]

    def _records(self, tree, problems) -> dict:
        masks = tree.locate(r".+mask\.png")
        if not masks:
            raise MissingInputError(f"{tree.root}: no *mask.png found; the dermofit builder expects {LAYOUT}"
                                    f"{tree.hint()}")
        pngs = {parts: ref for parts, ref in tree.locate(r".+\.png")}
        records = []
        for parts, mask in sorted(masks):
            if len(parts) < 3:
                raise BadInputError(mask, f"expected {LAYOUT}, found the mask outside a class/lesion folder")
            class_code, lesion, name = parts[-3], parts[-2], parts[-1]
            if class_code not in LABELS:
                raise BadInputError(mask, f"class folder {class_code!r} is not one of {', '.join(LABELS)} "
                                          f"(expected {LAYOUT})")
            image_id = name[:-len("mask.png")]
            if image_id != lesion:
                problems.bad(mask, f"mask name {name} does not match its lesion folder {lesion} (expected "
                                   f"{lesion}mask.png; layout {LAYOUT})")
                continue
            image = pngs.get(parts[:-1] + (f"{image_id}.png",))
            if image is None:
                problems.bad(mask, f"no image {'/'.join(parts[:-1] + (image_id + '.png',))} next to the mask")
                continue
            records.append(Record(key=f"{class_code}/{lesion}/{image.name}", image_id=image_id, image=image,
                                  mask=mask, label=LABELS.index(class_code), malignant=class_code in MALIGNANT,
                                  group_keys=(f"lesion:{class_code}/{lesion}",),
                                  metadata=common.metadata(lesion_id=lesion, diagnosis=class_code)))
        with_mask = {parts[:-1] for parts, _ in masks}
        for parts, ref in sorted(pngs.items()):
            if not re.fullmatch(r".+mask\.png", parts[-1]) and parts[:-1] not in with_mask and len(parts) >= 3 \
                    and parts[-3] in LABELS:
                problems.bad(ref, f"image without a mask (expected {parts[-2]}mask.png next to it)")
        return self._assign_splits(records)
