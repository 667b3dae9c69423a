"""Frame decoding: libjpeg-turbo (simplejpeg) with DCT-domain downscaling, OpenCV for everything else.

``read_image(path, reduce=k)`` returns an RGB uint8 array decoded at roughly ``1/k`` of the full size
(k in 1, 2, 4, 8) and the scale actually applied, so callers can map full-resolution coordinates into it.
Decoding at a reduced size in the DCT domain is much cheaper than decoding in full and resizing.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

try:
    import simplejpeg
except ImportError:  # optional fast path
    simplejpeg = None

cv2.setNumThreads(1)  # data workers parallelise across samples; nested threads only contend

_CV2_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                8: cv2.IMREAD_REDUCED_COLOR_8}


class ImageReadError(OSError):
    """A frame that is missing or cannot be decoded."""


def reduce_factor_for(shrink: float) -> int:
    """The largest DCT reduction (1, 2, 4, 8) that keeps at least full detail for a crop shrunk ``shrink``x."""
    if shrink < 2:
        return 1
    return min(8, 2 ** int(math.floor(math.log2(shrink))))


def read_image(path: str | Path, reduce: int = 1) -> tuple[np.ndarray, float]:
    """Decode ``path`` to RGB uint8; returns ``(image, scale)`` with ``scale`` = decoded / original size."""
    path = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImageReadError(f"cannot read frame {path}: {e.strerror}") from None
    if simplejpeg is not None and data[:3] == b"\xff\xd8\xff":
        try:
            h, w, _, _ = simplejpeg.decode_jpeg_header(data)
            if reduce > 1:
                img = simplejpeg.decode_jpeg(data, colorspace="RGB", min_height=math.ceil(h / reduce),
                                             min_width=math.ceil(w / reduce))
            else:
                img = simplejpeg.decode_jpeg(data, colorspace="RGB")
            return img, img.shape[1] / w
        except ValueError:
            pass  # fall through to OpenCV, which reports corrupt files in its own way
    return _read_cv2(path, data, reduce)


def _read_cv2(path: str, data: bytes, reduce: int) -> tuple[np.ndarray, float]:
    buf = np.frombuffer(data, dtype=np.uint8)
    flag = _CV2_REDUCED.get(reduce, cv2.IMREAD_COLOR)
    img = cv2.imdecode(buf, flag) if buf.size else None
    if img is None:
        raise ImageReadError(f"cannot decode frame {path}: not a readable image (corrupt or truncated?)")
    scale = 1.0 if flag == cv2.IMREAD_COLOR else 1.0 / reduce
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), scale
