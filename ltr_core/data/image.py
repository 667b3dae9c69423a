"""Frame decoding: libjpeg-turbo (simplejpeg) with DCT-domain downscaling, OpenCV for everything else.

``read_image(path, min_scale=s)`` returns an RGB uint8 array decoded in the DCT domain at the smallest of
1, 1/2, 1/4, 1/8 of the full size that is at least ``s``, and the scale actually applied, so callers can map
full-resolution coordinates into it. A crop that shrinks the frame never needs more pixels than that, and
decoding small skips most of the inverse-DCT work. (libjpeg-turbo also scales by other M/8, but those paths
are not SIMD-accelerated and end up slower than a full decode.)

``transient=True`` decodes into a buffer the calling thread reuses: the result is valid only until that thread's
next transient read. Training crops are cut from a frame before the next one is read, and reusing warm memory
spares the page faults of a fresh 2.7 MB array per 1280x720 frame (about 5% of the decode).
"""

from __future__ import annotations

import functools
import math
import os
import struct
import threading
from pathlib import Path

import cv2
import numpy as np

from ltr_core.data.packed import IMAGE_SUFFIXES, PACK_NAME, pack_of, read_packed
from ltr_core.env import limit

try:
    import simplejpeg
except ImportError:  # optional fast path
    simplejpeg = None

cv2.setNumThreads(1)  # data workers parallelise across samples; nested threads only contend

_CV2_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                8: cv2.IMREAD_REDUCED_COLOR_8}
_scratch = threading.local()



class ImageReadError(OSError):
    """A frame that is missing or cannot be decoded."""


class VideoTruncated(ImageReadError):
    """A video that decodes fewer frames than its container reports (cut short, or corrupt midway)."""

    def __init__(self, video, decoded: int, reported: int):
        super().__init__(f"{video}: its container reports {reported} frames, but only the first {decoded} decode "
                         "(the file is cut short or corrupt there)")
        self.video, self.decoded, self.reported = video, decoded, reported


class FrameTooLarge(ImageReadError):
    """A frame over the decoded-pixel limit (``LTR_MAX_FRAME_PIXELS``)."""


@functools.lru_cache(maxsize=8)
def _pixel_cap(_environment_value, _env_file) -> int:
    """``LTR_MAX_FRAME_PIXELS``, read once per value of the variable and of ``LTR_ENV_FILE`` (the arguments, which
    are the cache's key): the env file is not parsed again for every frame."""
    return limit("LTR_MAX_FRAME_PIXELS")


def check_frame_size(shape, where) -> None:
    """Refuse a frame of ``shape`` (height, width, ...) over ``LTR_MAX_FRAME_PIXELS`` before it is decoded (or
    kept), naming ``where`` and the setting that raises the limit."""
    h, w = int(shape[0]), int(shape[1])
    cap = _pixel_cap(os.environ.get("LTR_MAX_FRAME_PIXELS"), os.environ.get("LTR_ENV_FILE"))
    if h * w > cap:
        raise FrameTooLarge(f"frame {where} is {w}x{h} ({h * w / 1e6:.0f} M pixels, {3 * h * w / 2**30:.1f} GiB "
                            f"decoded), over the limit of {cap / 1e6:.0f} M pixels: raise LTR_MAX_FRAME_PIXELS (in "
                            "the environment or ~/.config/ltr/env.yaml) if the frame is meant to be that large")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(height, width) from a PNG's or BMP's header, read without decoding (JPEG: simplejpeg's header)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return h, w
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(h), abs(w)
    return None


def read_image(path: str | Path, min_scale: float = 1.0, fast: bool = False,
               transient: bool = False) -> tuple[np.ndarray, float]:
    """Decode ``path`` to RGB uint8 at no less than ``min_scale`` of its size; returns ``(image, scale)``.

    ``fast`` uses libjpeg-turbo's fast integer IDCT and upsampling (pixel values differ by about 1 on average):
    for training crops, not for evaluation."""
    path = str(path)
    data = read_bytes(path)
    min_scale = next(f for f in (0.125, 0.25, 0.5, 1.0) if f >= min_scale)
    size = _header_size(data)
    if size is not None:
        check_frame_size(size, path)
    if simplejpeg is not None and data[:3] == b"\xff\xd8\xff":
        try:
            h, w, _, _ = simplejpeg.decode_jpeg_header(data)
            check_frame_size((h, w), path)
            size = {"min_height": math.ceil(h * min_scale), "min_width": math.ceil(w * min_scale)} \
                if min_scale < 1.0 else {}
            img = simplejpeg.decode_jpeg(data, colorspace="RGB", fastdct=fast, fastupsample=fast,
                                         buffer=_buffer(h * w * 3) if transient else None, **size)
            return img, _dct_scale(img.shape[1], w)
        except ValueError:
            pass  # fall through to OpenCV, which reports corrupt files in its own way
    return _read_cv2(path, data, min_scale)


def read_bytes(path: str) -> bytes:
    """A frame's file, or its bytes from its folder's pack (:mod:`ltr_core.data.packed`) when it was packed."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        data = read_packed(path)
        if data is None:
            raise ImageReadError(f"cannot read frame {path}: No such file or directory") from None
        return data
    except OSError as e:
        raise ImageReadError(f"cannot read frame {path}: {e.strerror}") from None


def list_images(folder: Path) -> list[str]:
    """The image files of ``folder`` (names), packed ones included."""
    folder = Path(folder)
    names = [p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if (folder / PACK_NAME).is_file():
        names = sorted(set(names) | set(pack_of(folder).names()))
    return names


def video_frames(video: str | Path):
    """RGB frames of ``video``, front to back (no seeking). A file OpenCV cannot open or that yields no frame
    raises :class:`ImageReadError`; one that runs out before the frame count its container reports raises
    :class:`VideoTruncated` after its last decodable frame."""
    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise ImageReadError(f"cannot read video {video}: OpenCV cannot open it (empty, corrupt, or a container "
                                 "or codec this OpenCV build lacks); convert it, e.g. to H.264 in MP4, or extract "
                                 "its frames")
        reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        count = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            check_frame_size(frame.shape, video)
            count += 1
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        if count == 0:
            raise ImageReadError(f"cannot read video {video}: OpenCV opened it but decoded no frame (empty or "
                                 "corrupt)")
        if 0 < count < reported:
            raise VideoTruncated(video, count, reported)
    finally:
        cap.release()


def _limit_opencv() -> None:
    """OpenCV's own decoded-pixel limit (read at its first decode), for the formats whose header ltr does not
    read: at most ltr's limit, so a huge WebP is refused before it is decoded too."""
    if "OPENCV_IO_MAX_IMAGE_PIXELS" not in os.environ:
        os.environ["OPENCV_IO_MAX_IMAGE_PIXELS"] = str(_pixel_cap(os.environ.get("LTR_MAX_FRAME_PIXELS"),
                                                                  os.environ.get("LTR_ENV_FILE")))


def _buffer(nbytes: int) -> np.ndarray:
    """This thread's reusable decode buffer, grown to at least ``nbytes``."""
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.size < nbytes:
        buf = _scratch.buf = np.empty(nbytes, dtype=np.uint8)
    return buf


def _dct_scale(decoded: int, full: int) -> float:
    """The exact M/8 factor behind a decoded width (libjpeg rounds the size up)."""
    m = round(8 * decoded / full)
    return m / 8 if m and math.ceil(full * m / 8) == decoded else decoded / full


def _read_cv2(path: str, data: bytes, min_scale: float) -> tuple[np.ndarray, float]:
    buf = np.frombuffer(data, dtype=np.uint8)
    reduce = max(r for r in _CV2_REDUCED if r <= 1 / min_scale + 1e-9)
    flag = _CV2_REDUCED[reduce]
    _limit_opencv()
    img = cv2.imdecode(buf, flag) if buf.size else None
    if img is None:
        raise ImageReadError(f"cannot decode frame {path}: not a readable image (corrupt or truncated?)")
    scale = 1.0 if flag == cv2.IMREAD_COLOR else 1.0 / reduce
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), scale
