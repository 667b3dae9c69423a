"""The VOT challenges' way of running a tracker: the TraX protocol (``vot-trax``, an optional dependency:
``pip install 'ltr-core[vot]'``), and a VOT toolkit workspace whose ``trackers.ini`` lists ltr's trackers.

The toolkit starts ``ltr vot CONFIG`` as a process and talks to it over its standard input and output (or the
socket named by ``TRAX_SOCKET``): an initialization message with the first frame and the target's region, then a
frame at a time, each answered with a region and a confidence. ltr's trackers take axis-aligned boxes, so the
server announces rectangles only and TraX reduces a polygon or a mask to its bounding box before it arrives, as
the toolkit does for any rectangle tracker; a region that arrives as a polygon anyway is reduced the same way here.
Nothing but protocol messages may reach standard output while the server runs (the toolkit merges the tracker's
standard error into it, which TraX skips as log lines).
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import sys
from pathlib import Path

import cv2
import numpy as np

from ltr_core import contract
from ltr_core.data.image import ImageReadError, read_image
from ltr_core.errors import ComponentError, UserError
from ltr_core.locking import tmp_name

INSTALL = "pip install 'ltr-core[vot]' (the vot-trax package)"


def import_trax():
    """vot-trax's ``trax`` module, or a one-line :class:`UserError` saying what to install: when it is missing,
    and when the ``trax`` found is another package of that name (Google's deep-learning library is one)."""
    try:
        import trax          # an optional extra: ltr-core[vot]
    except ImportError:
        raise UserError(f"ltr vot needs the TraX bindings: {INSTALL}") from None
    except Exception as e:               # a broken or foreign package that fails on import
        raise UserError(f"the 'trax' module failed to import ({type(e).__name__}: {e}); ltr vot needs vot-trax: "
                        f"{INSTALL}") from None
    if not all(hasattr(trax, name) for name in ("TraxStatus", "Rectangle", "Image", "Region")):
        raise UserError(f"the 'trax' module at {getattr(trax, '__file__', '?')} is not vot-trax's (Google's trax "
                        f"library has the same import name): pip uninstall trax, then {INSTALL}")
    try:
        import trax.server  # noqa: F401  the server half lives in a submodule
    except Exception as e:
        raise UserError(f"vot-trax's server module failed to import ({e}): reinstall it, {INSTALL}") from None
    return trax


def region_box(region, trax) -> np.ndarray:
    """x, y, w, h of a TraX region: a rectangle as it is, a polygon as the bounding box of its points."""
    if isinstance(region, trax.Rectangle):
        return np.asarray(region.bounds(), dtype=np.float64)
    if isinstance(region, trax.Polygon):
        pts = np.asarray([region.get(i) for i in range(region.size())], dtype=np.float64)
        lo, hi = pts.min(0), pts.max(0)
        return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])
    raise UserError(f"ltr vot: a {type(region).__name__} region arrived; ltr's trackers take rectangles")


def trax_image(image, trax) -> np.ndarray:
    """An RGB uint8 frame from a TraX image: a file path (read as ``ltr track`` reads frames), raw pixels or an
    encoded buffer."""
    if isinstance(image, trax.FileImage):
        try:
            return read_image(image.path())[0]
        except ImageReadError as e:
            raise UserError(str(e)) from None
    if isinstance(image, trax.MemoryImage):
        array = np.asarray(image.array())
        return cv2.cvtColor(array, cv2.COLOR_BGR2RGB) if array.ndim == 3 else cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    if isinstance(image, trax.BufferImage):
        decoded = cv2.imdecode(np.frombuffer(bytes(image.buffer()), np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise UserError("ltr vot: an image buffer that OpenCV cannot decode arrived")
        return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    raise UserError(f"ltr vot: a {type(image).__name__} arrived; ltr reads paths, memory and buffers")


def serve(make_tracker, name: str, log=None) -> int:
    """Answer one TraX session: a fresh tracker (``make_tracker()``) for each initialization, a box and a
    confidence for each frame. Returns the number of frames answered. A tracker that raises or answers wrongly
    ends the session with the reason sent to the client and one :class:`ComponentError` line here."""
    trax = import_trax()
    log = log or (lambda message: None)
    formats = [trax.Image.PATH, trax.Image.MEMORY, trax.Image.BUFFER]
    server = trax.server.Server([trax.Region.RECTANGLE], formats, ["color"], tracker_name=name,
                                tracker_description=f"ltr {name}", tracker_family="ltr")
    answered, index, tracker = 0, 0, None
    try:
        while True:
            request = server.wait()
            if request.type == trax.TraxStatus.QUIT:
                break
            image = trax_image(request.image["color"], trax)
            if request.type == trax.TraxStatus.INITIALIZE:
                (region, _), = request.objects
                box, score, index = region_box(region, trax), 1.0, 0
                tracker = make_tracker()
                _call(lambda: tracker.initialize(image, box), name, index)
            else:
                box, score = contract.track_result(_call(lambda: tracker.track(image), name, index), name, index,
                                                   "the TraX session")
            index += 1
            server.status([(trax.Rectangle.create(*(float(v) for v in box)),
                            {"confidence": f"{float(score):.6f}"})])
            answered += 1
    except UserError as e:
        server.quit(reason=str(e))
        raise
    server.quit()
    log(f"ltr vot {name}: answered {answered} frames")
    return answered


def _call(step, name: str, index: int):
    """``step()``; what a tracker raises becomes a :class:`ComponentError` naming it and the frame."""
    try:
        return step()
    except UserError:
        raise
    except Exception as e:
        what = "initialize" if index == 0 else "track"
        raise ComponentError(f"{name} raised {type(e).__name__} in {what} on frame {index + 1} of the TraX session: "
                             f"{e}") from e


def ini_name(config: str) -> str:
    """A tracker identifier the toolkit accepts for ``<plugin>/<config>``: ``ltr_<plugin>_<config>``, other
    characters as ``_``."""
    return "ltr_" + re.sub(r"[^A-Za-z0-9_]", "_", config.replace("/", "_"))


def write_workspace(workspace: Path, stack: str, configs: list[str], ltr_workspace: Path,
                    python: str = sys.executable) -> list[str]:
    """A VOT toolkit workspace at ``workspace`` for ``stack``: ``config.yaml`` (stack and registry, as ``vot
    initialize`` writes it) and ``trackers.ini`` with one ``protocol = trax`` entry per config, started as
    ``<python> -m ltr_core vot CONFIG --workspace <ltr workspace>``. Entries already in ``trackers.ini`` that are
    not ltr's are kept; returns the identifiers written."""
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    config_yaml = workspace / "config.yaml"
    if not config_yaml.exists():
        config_yaml.write_text(f"registry:\n- ./trackers.ini\nstack: {stack}\n")
    else:
        text = config_yaml.read_text()
        if not re.search(rf"^stack:\s*{re.escape(stack)}\s*$", text, re.M):
            raise UserError(f"{config_yaml} names another stack; give an empty folder for stack {stack!r} or edit it")
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str
    path = workspace / "trackers.ini"
    if path.exists():
        try:
            ini.read(path, encoding="utf-8")
        except configparser.Error as e:
            raise UserError(f"{path}: not a trackers.ini the toolkit reads ({e.message.splitlines()[0]})") from None
    written = []
    for config in configs:
        name = ini_name(config)
        command = " ".join(shlex.quote(p) for p in (python, "-m", "ltr_core", "vot", config, "--workspace",
                                                    str(Path(ltr_workspace).resolve())))
        ini[name] = {"label": f"ltr {config}", "protocol": "trax", "command": command}
        written.append(name)
    tmp = tmp_name(path)
    with open(tmp, "w", encoding="utf-8") as f:
        ini.write(f)
    os.replace(tmp, path)
    return written
