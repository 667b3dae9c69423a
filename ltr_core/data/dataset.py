"""Video dataset base: sequences with per-frame boxes and visibility, and frame reading.

Readers parse a sequence's annotations once (on first use) and keep them; the sampler only ever touches the
cached arrays, so no annotation file is read per sample.
"""

from __future__ import annotations

import abc
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ltr_core.data.image import ImageReadError, read_image
from ltr_core.errors import UserError

log = logging.getLogger(__name__)


class DataError(UserError, RuntimeError):
    """Unusable data: a missing or corrupt frame or annotation. Messages name the file."""


@dataclass
class SequenceInfo:
    """Annotations of one sequence. ``bbox`` is (N, 4) float32 ``x, y, w, h``; ``visible`` is (N,) bool."""

    bbox: np.ndarray
    visible: np.ndarray
    valid: np.ndarray = field(init=False)
    visible_idx: np.ndarray = field(init=False)   # sorted indices of visible frames, for O(log n) sampling

    def __post_init__(self):
        self.bbox = np.asarray(self.bbox, dtype=np.float32).reshape(-1, 4)
        self.valid = (self.bbox[:, 2] > 0) & (self.bbox[:, 3] > 0)
        self.visible = np.asarray(self.visible, dtype=bool) & self.valid
        self.visible_idx = np.flatnonzero(self.visible)

    def __len__(self) -> int:
        return len(self.bbox)


@dataclass(frozen=True)
class FrameRef:
    """A frame to be read later, so processing can choose the decode size."""

    dataset: "VideoDataset"
    seq_id: int
    frame_id: int

    @property
    def path(self) -> str:
        return self.dataset.frame_path(self.seq_id, self.frame_id)

    def read(self, min_scale: float = 1.0, fast: bool = False, transient: bool = False) -> tuple[np.ndarray, float]:
        """Decode the frame (see :func:`ltr_core.data.image.read_image` for the arguments)."""
        return self.dataset.read_frame(self.seq_id, self.frame_id, min_scale, fast, transient)


#: The scoring rules a reader can ask for through ``eval_rules`` (how the metrics treat absent targets, NaN
#: ground truth and short results; :mod:`ltr_core.evaluation.metrics` gives the details).
EVAL_RULES = {
    "lasot": "visibility flags; absent frames scored as pytracking scores LaSOT (the demo data too)",
    "lasot_extension": "visibility flags make frames invalid; a short result is zero-padded",
    "uav": "NaN ground truth marks an absent target (UAV123)",
    "default": "no flags; NaN ground truth is an error (OTB, NfS, TNL2K, GOT-10k...)",
}


def eval_rules_problem(rules, where: str) -> str | None:
    """Why ``rules`` is not a value of ``eval_rules``, naming ``where``; None when it is one."""
    if rules is None or (isinstance(rules, str) and rules in EVAL_RULES):
        return None
    return (f"{where}: eval_rules is {rules!r}, which is not a scoring rule; use one of {', '.join(EVAL_RULES)} "
            "(or leave it unset: 'lasot' for a reader with visibility flags, 'default' otherwise)")


class VideoDataset(abc.ABC):
    """Base of every dataset reader. Subclasses list sequences and parse one sequence's annotations."""

    #: environment variable holding the default root
    root_env: str = ""
    #: False for image datasets (each "sequence" is one frame, repeated for template and search)
    is_video: bool = True
    #: how evaluation scores this reader's sequences: a key of :data:`EVAL_RULES`, or None (``lasot`` when
    #: :meth:`eval_annotations` gives visibility flags, ``default`` otherwise). Checked when a plugin loads (a
    #: class attribute) and when an evaluation opens the reader, before anything is tracked.
    eval_rules: str | None = None

    def __init__(self, root: str | Path, name: str):
        self.root = Path(root)
        self.name = name
        self._info_cache: dict[int, SequenceInfo] = {}
        self._lock = threading.Lock()

    # -- to implement ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def sequence_names(self) -> list[str]:
        """Names of the sequences, in a fixed order (sequence id = position)."""

    @abc.abstractmethod
    def parse_sequence(self, seq_id: int) -> SequenceInfo:
        """Read and parse one sequence's annotation files (called once per sequence)."""

    @abc.abstractmethod
    def frame_path(self, seq_id: int, frame_id: int) -> str:
        """Path of a frame image (``frame_id`` is 0-based)."""

    # -- shared ---------------------------------------------------------------------------------------
    def eval_annotations(self, seq_id: int) -> tuple[np.ndarray, np.ndarray | None]:
        """What scoring needs: the ground truth as written (float64, NaN kept) and the target-visibility flags,
        or ``None`` for a dataset whose evaluation uses no flags (the toolkits use them only for LaSOT)."""
        return self.sequence_info(seq_id).bbox.astype(np.float64), None

    def eval_attributes(self):
        """The benchmark's per-sequence attributes (:class:`ltr_core.evaluation.attributes.Attributes`, keyed by
        the names of :meth:`sequence_names`) for ``ltr score --attributes``, or None where it has none. Read when
        asked, not when the reader opens."""
        return None

    def __len__(self) -> int:
        return len(self.sequence_names())

    def annotation_file(self, seq_id: int) -> str | None:
        """The file holding a sequence's ground truth, for messages (None where there is no one file)."""
        return None

    def video_file(self, seq_id: int) -> str | None:
        """The video file whose frames are the sequence (evaluation reads it front to back), or None when the
        frames are image files."""
        return None

    def sequence_info(self, seq_id: int) -> SequenceInfo:
        info = self._info_cache.get(seq_id)
        if info is None:
            info = self.parse_sequence(seq_id)
            with self._lock:
                self._info_cache[seq_id] = info
        return info

    def read_frame(self, seq_id: int, frame_id: int, min_scale: float = 1.0,
                   fast: bool = False, transient: bool = False) -> tuple[np.ndarray, float]:
        try:
            return read_image(self.frame_path(seq_id, frame_id), min_scale, fast, transient)
        except ImageReadError as e:
            raise DataError(str(e)) from None

    def frames(self, seq_id: int, frame_ids) -> list[FrameRef]:
        return [FrameRef(self, seq_id, int(f)) for f in frame_ids]

    def require_sequences(self, layout: str) -> None:
        """Stop at start-up when the root holds no usable sequence."""
        if len(self) == 0:
            raise DataError(f"{type(self).__name__}: no usable sequence under {self.root}. Expected layout: {layout}")


def read_box_file(path: Path, expected_rows: int | None = None, raw: bool = False) -> np.ndarray:
    """Parse an ``x,y,w,h`` per line file (comma, tab or space separated), naming the file and line on error.

    Training reads float32 with NaN boxes set to 0 (invisible); ``raw=True`` keeps float64 and NaN, for scoring.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read annotation {path}: {e}") from None
    fast = parse_box_rows(text)
    if fast is not None:
        rows = fast
    else:
        rows = _parse_rows(path, text)
    if len(rows) == 0:
        raise DataError(f"annotation {path} is empty")
    if expected_rows is not None and len(rows) != expected_rows:
        raise DataError(f"annotation {path} has {len(rows)} rows but the sequence has {expected_rows} frames")
    negative = np.flatnonzero((np.asarray(rows, dtype=np.float64).reshape(-1, 4)[:, 2:] < 0).any(1))
    if negative.size:
        raise DataError(f"{path}:{_line_of(text, int(negative[0]))}: negative width or height in "
                        f"{list(np.asarray(rows[int(negative[0])], dtype=np.float64))}: a box is x, y, w, h with w, "
                        "h >= 0 (0 0 0 0 marks an absent target)")
    if raw:
        return np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    arr = np.asarray(rows, dtype=np.float32).reshape(-1, 4)
    arr[~np.isfinite(arr)] = 0  # NaN boxes (absent targets in some datasets) count as invisible
    return arr


def _line_of(text: str, row: int) -> int:
    """The 1-based line number of the ``row``-th non-empty line."""
    seen = -1
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            seen += 1
            if seen == row:
                return number
    return row + 1


#: what a number in an annotation or result file may look like: plain decimal or scientific notation in ASCII
#: digits, or nan (absent targets in some datasets). Python's float() also takes "1_5" (15), "inf" and other
#: scripts' digits, which no toolkit writes: such a file is refused naming its line instead of read wrongly.
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[nN][aA][nN]"   # one way to match: linear
_NUMBER = re.compile(NUMBER)
_NUMBERS = re.compile(rf"(?:{NUMBER})(?:,(?:{NUMBER}))*")
_DIGITS = re.compile(r"[0-9]+(?:,[0-9]+)*")
_ROWS = re.compile(rf"(?:(?:{NUMBER}),(?:{NUMBER}),(?:{NUMBER}),(?:{NUMBER})\n)*"
                   rf"(?:{NUMBER}),(?:{NUMBER}),(?:{NUMBER}),(?:{NUMBER})")


def parse_number(text: str) -> float:
    """``float(text)`` for :data:`NUMBER` only (ValueError otherwise)."""
    if not _NUMBER.fullmatch(text.strip()):
        raise ValueError(f"not a plain decimal number: {text!r}")
    return float(text)


# integers of up to 15 digits (exact in a float64 whatever their sum of digit terms), as pytracking writes results
_INT_ROWS = re.compile(r"(?:-?[0-9]{1,15}(?:,-?[0-9]{1,15}){3}\n)*-?[0-9]{1,15}(?:,-?[0-9]{1,15}){3}")
_POW10 = 10.0 ** np.arange(16)


def _int_rows(flat: str) -> np.ndarray:
    """The numbers of a text :data:`_INT_ROWS` matched, converted by array arithmetic on its bytes (2-3x faster
    than converting each number's string): each digit times the power of ten of its place in its field, summed
    per field; a field with a minus sign negated."""
    b = np.frombuffer(flat.encode("ascii"), np.uint8)
    field = np.cumsum((b == 44) | (b == 10))                 # the field each character belongs to (',' and '\n')
    digit = b >= 48                                          # the text holds digits, '-', ',' and '\n' only
    f = field[digit]
    n = int(field[-1]) + 1
    last = np.cumsum(np.bincount(f, minlength=n)) - 1        # the index (among digits) of each field's last digit
    values = np.bincount(f, weights=(b[digit] - 48) * _POW10[last[f] - np.arange(f.size)], minlength=n)
    values[field[b == 45]] *= -1
    return values.reshape(-1, 4)


def parse_box_rows(text: str):
    """Rows of four numbers, for well-formed files (every line four numbers with one comma, tab or space between
    them, no blank line but at the end): one regular-expression check and one conversion of the whole text; None
    when anything is off (then parse line by line to name the line). Row ``i`` is line ``i + 1``."""
    flat = text.replace("\r\n", "\n").rstrip("\n").replace("\t", ",").replace(" ", ",")
    if flat and _INT_ROWS.fullmatch(flat):
        return _int_rows(flat)
    if not flat or not _ROWS.fullmatch(flat):
        return None
    try:
        values = np.array(flat.replace("\n", ",").split(","), dtype=np.float64)
    except ValueError:
        return None
    return values.reshape(-1, 4) if values.size % 4 == 0 else None


def split_numbers(line: str) -> list[float]:
    """The numbers of one line separated by commas, tabs or spaces (ValueError when one is not a :data:`NUMBER`)."""
    return [parse_number(p) for p in line.replace("\t", ",").replace(" ", ",").split(",") if p]


def _parse_rows(path, text: str) -> list:
    """Line-by-line parse that names the file and line of the first malformed row."""
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            values = split_numbers(line)
        except ValueError:
            raise DataError(f"{path}:{lineno}: expected 4 numbers x,y,w,h, got {line!r}") from None
        if len(values) != 4:
            raise DataError(f"{path}:{lineno}: expected 4 numbers x,y,w,h, got {len(values)}")
        rows.append(values)
    return rows


def read_flag_file(path: Path, n: int) -> np.ndarray:
    """Parse a 0/1 (or integer) flag file: comma separated on one line, or one value per line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read annotation {path}: {e}") from None
    tokens = [t for t in text.replace("\n", ",").replace("\r", "").split(",") if t.strip()]
    values = None
    if _DIGITS.fullmatch(",".join(tokens)):            # the usual file: plain digits, parsed in one C call
        values = np.array(tokens, dtype=np.int64)
    if values is None:
        try:
            values = np.array([int(parse_number(t)) for t in tokens], dtype=np.int64)
        except ValueError:
            raise DataError(f"{path}: expected comma- or line-separated integers") from None
    if len(values) != n:
        raise DataError(f"{path} has {len(values)} values but groundtruth has {n} rows")
    return values
