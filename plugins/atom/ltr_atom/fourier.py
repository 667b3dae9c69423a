"""ATOM's score upsampling: the filter's scores on the feature grid, interpolated to a finer grid as a Fourier
series (pytracking's ``fourier.sample_fs`` with its centring, reproduced for equal boxes).

The scores' spectrum is taken with frequencies ``-n/2 .. n/2`` on each axis; for an even ``n`` the Nyquist
coefficient appears at both ends, each with its full value (pytracking's layout of a centred spectrum), so an
even grid is not interpolated exactly through its samples. The series is then translated by ``n/2`` cells along an
axis whose kernel size is even, ``(n - 1)/2`` cells where it is odd (pytracking's phase ``pi * (1 - (k % 2) / n)``,
computed in float32 as there), which brings the sample's centre to the output's pixel 0; the tracker reads the
map with its centre moved back to the middle. An even kernel's half-cell offset is left to the labels.
"""

from __future__ import annotations

import math

import torch


def _frequencies(n: int, dtype, device=None) -> torch.Tensor:
    """The centred frequencies of an ``n``-point axis: -n//2 .. n//2 (both ends for an even ``n``)."""
    half = n // 2
    low = -((n - 1) // 2) if n % 2 else -half
    return torch.arange(low, half + 1, dtype=dtype, device=device)


def upsample_scores(scores: torch.Tensor, kernel_size, output_sz) -> torch.Tensor:
    """(N, 1, H, W) real scores -> (N, 1, output_h, output_w): the Fourier series of ``scores`` (divided by
    ``H * W``), translated as the module says, sampled on the output grid."""
    h, w = scores.shape[-2:]
    out_h, out_w = (int(v) for v in output_sz)
    if out_h < h + 1 - h % 2 or out_w < w + 1 - w % 2:
        raise ValueError(f"score map {h}x{w} cannot be upsampled to {out_h}x{out_w}: the output must be larger")
    real = scores.dtype
    spectrum = torch.fft.rfft2(scores) / (h * w)                 # (N, 1, H, W // 2 + 1), rows 0, 1, .., -1
    rows = _frequencies(h, real, scores.device)                                 # the centred rows, Nyquist twice for even H
    spectrum = spectrum[..., rows.long() % h, :]
    cols = torch.arange(spectrum.shape[-1], dtype=real, device=scores.device)
    for axis, (freqs, n, k) in enumerate(((rows, h, kernel_size[0]), (cols, w, kernel_size[1]))):
        angle = math.pi * (1 - (int(k) % 2) / n) * freqs.float()            # float32, as pytracking's
        phase = torch.complex(torch.cos(angle).to(real), torch.sin(angle).to(real))
        spectrum = spectrum * (phase.view(-1, 1) if axis == 0 else phase.view(1, -1))
    grid = spectrum.new_zeros(spectrum.shape[:-2] + (out_h, out_w // 2 + 1))
    grid[..., rows.long() % out_h, :spectrum.shape[-1]] = spectrum
    return torch.fft.irfft2(grid, s=(out_h, out_w)) * (out_h * out_w)
