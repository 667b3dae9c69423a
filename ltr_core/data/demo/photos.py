"""scikit-image's photographs, checked against the SHA-256 of the files this generator was written for, and cut
into the regions scenes use."""

from __future__ import annotations

import hashlib
import importlib.util
import math
from pathlib import Path

import cv2
import numpy as np

from ltr_core.errors import UserError

# The scikit-image photographs the generator uses, with the SHA-256 of the files in scikit-image 0.26.0's wheel.
# Colour photographs give targets and backgrounds; grey ones (tinted) give backgrounds only.
PHOTOS = {
    "astronaut.png":
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "chelsea.png":
        "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee.png":
        "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "hubble_deep_field.jpg":
        "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
    "ihc.png":
        "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
    "motorcycle_left.png":
        "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    "motorcycle_right.png":
        "5fc913ae870e42a4b662314bc904d1786bcad8e2f0b9b67dba5a229406357797",
    "retina.jpg":
        "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
    "rocket.jpg":
        "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    "brick.png":
        "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "camera.png":
        "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    "grass.png":
        "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
    "gravel.png":
        "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    "moon.png":
        "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577",
    "coins.png":
        "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
}


class PhotoError(UserError, RuntimeError):
    pass


def photo_dir() -> Path | None:
    """scikit-image's data folder, found without importing scikit-image; None when it is not installed."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "data"
    return d if d.is_dir() else None


def find_photos(mode: str) -> tuple[dict[str, Path], list[str]]:
    """The usable photographs (name -> path) for ``mode`` and notes on what was left out and why."""
    if mode not in ("auto", "on", "off"):
        raise PhotoError(f"photos: {mode!r} is not one of auto, on, off")
    if mode == "off":
        return {}, []
    d = photo_dir()
    if d is None:
        if mode == "on":
            raise PhotoError("--photos on needs scikit-image's photographs: pip install 'ltr-core[demo]' "
                             "(or scikit-image), or use --photos off")
        return {}, ["scikit-image is not installed: procedural textures only (pip install 'ltr-core[demo]')"]
    found, notes = {}, []
    for name, digest in PHOTOS.items():
        f = d / name
        if not f.is_file():
            notes.append(f"{f}: missing, left out")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != digest:
            notes.append(f"{f}: not the file this generator was written for (SHA-256 differs), left out")
        else:
            found[name] = f
    if mode == "on" and not found:
        raise PhotoError(f"--photos on: no usable photograph in {d}; " + "; ".join(notes))
    return found, notes


def _load_photos(paths: dict[str, Path]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """RGB float32 colour photographs and grey ones (H x W x 1), in the table's order."""
    colour, grey = [], []
    for name in PHOTOS:
        if name not in paths:
            continue
        im = cv2.imread(str(paths[name]), cv2.IMREAD_UNCHANGED)
        if im is None:
            raise PhotoError(f"{paths[name]}: OpenCV cannot decode it")
        if im.ndim == 2:
            grey.append(im.astype(np.float32)[..., None])
        else:
            colour.append(cv2.cvtColor(im[..., :3], cv2.COLOR_BGR2RGB).astype(np.float32))
    return colour, grey


def _photo_region(photo: np.ndarray, h: int, w: int, rng: np.random.Generator, zoom: float) -> np.ndarray:
    """A random h x w view of ``photo``: scaled to cover h x w times ``zoom``, cropped, maybe mirrored."""
    ph, pw = photo.shape[:2]
    scale = max(h / ph, w / pw) * zoom
    sh, sw = max(h, int(math.ceil(ph * scale))), max(w, int(math.ceil(pw * scale)))
    big = cv2.resize(photo, (sw, sh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    big = big.reshape(sh, sw, -1)
    y0, x0 = int(rng.integers(0, sh - h + 1)), int(rng.integers(0, sw - w + 1))
    out = big[y0:y0 + h, x0:x0 + w]
    return np.ascontiguousarray(out[:, ::-1] if rng.random() < 0.5 else out)
