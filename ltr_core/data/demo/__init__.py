"""Generator of small synthetic tracking datasets in LaSOT's exact on-disk layout.

Each sequence shows one textured target moving over a textured, slowly panning background, with scale and
aspect changes, look-alike distractors (same texture family and shape, other colours), an occluder that
passes over the target (partial, then full occlusion), spells out of view, and motion blur when it moves
fast. The ground truth, ``full_occlusion.txt``, ``out_of_view.txt`` and ``nlp.txt`` follow LaSOT, and the
tree gets ``train_split.txt`` / ``test_split.txt`` lists.

Where scikit-image is installed, its wheel's photographs (``skimage/data/``: astronaut, chelsea, coffee, rocket,
motorcycle, grass, gravel, brick, ...; no download) serve as backgrounds and as the targets' and look-alikes'
appearance, mixed with the procedural textures, so the data looks more like real footage. Each file is checked
against its SHA-256; a photo that differs from the one this generator was written for is left out and said so.

Output is byte-identical for a given seed, photo set and OpenCV build: sequences use their own random streams,
so the number of worker processes changes nothing.

The rooms: :mod:`~ltr_core.data.demo.photos` (the photographs), :mod:`~ltr_core.data.demo.scene` (what a sequence
shows, planned before it is drawn), :mod:`~ltr_core.data.demo.writer` (rendering and writing the tree).
"""

from ltr_core.data.demo.photos import PHOTOS, PhotoError, find_photos, photo_dir
from ltr_core.data.demo.scene import CLASS_NAMES, CLASS_STYLES, COLORS, DemoSpec, class_names, plan_sequence, texture
from ltr_core.data.demo.writer import demo_frames, is_current, make_demo, write_sequence

__all__ = ["CLASS_NAMES", "CLASS_STYLES", "COLORS", "DemoSpec", "PHOTOS", "PhotoError", "class_names",
           "demo_frames", "find_photos", "is_current", "make_demo", "photo_dir", "plan_sequence", "texture",
           "write_sequence"]
