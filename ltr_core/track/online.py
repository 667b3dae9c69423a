"""Tools for trackers that fit a model while they track: least squares by Gauss-Newton with conjugate gradient,
and Gaussian label maps for score regression.

``gauss_newton_cg`` minimises ``0.5 * sum ||r_i(x)||^2`` over a list of tensors ``x`` given a function that
returns the list of residual tensors ``r_i``. Each Gauss-Newton step linearises the residuals at ``x`` and
solves the normal equations ``J^T J dx = -J^T r`` with a few CG iterations, never forming ``J``: ``J^T v``
comes from one backward pass and ``J p`` from differentiating that backward pass with respect to ``v``
(the double-backward trick). A regulariser is just more residuals (``sqrt(lambda) * x``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

Tensors = list[torch.Tensor]


def _dot(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> torch.Tensor:
    return sum((u * v).sum() for u, v in zip(a, b))


def _grad(outputs: Sequence[torch.Tensor], inputs: Sequence[torch.Tensor], grad_outputs: Sequence[torch.Tensor],
          **kw) -> Tensors:
    """``torch.autograd.grad`` with zeros for inputs the outputs do not depend on."""
    grads = torch.autograd.grad(outputs, inputs, grad_outputs, allow_unused=True, **kw)
    return [torch.zeros_like(i) if g is None else g for g, i in zip(grads, inputs)]


def conjugate_gradient(apply_a: Callable[[Tensors], Tensors], b: Tensors, iterations: int,
                       preconditioner: Sequence[float] | None = None, fletcher_reeves: bool = False,
                       standard_alpha: bool = True) -> Tensors:
    """Approximately solve ``A x = b`` for a symmetric positive (semi-)definite ``A`` given as a function,
    starting from ``x = 0``.

    ``preconditioner``: one positive number per tensor of ``b``; the preconditioned residual is ``r_i / m_i``.
    ``fletcher_reeves`` picks the beta formula (else Polak-Ribiere, clamped at 0); ``standard_alpha`` the step
    length ``r.z / p.Ap`` (else ``p.r / p.Ap``, equal in exact arithmetic). Stops early when the residual
    vanishes.
    """
    x = [torch.zeros_like(v) for v in b]
    r = [v.clone() for v in b]
    p = None
    rho_prev = None
    r_prev = None
    for _ in range(iterations):
        z = r if preconditioner is None else [v / m for v, m in zip(r, preconditioner)]
        rho = _dot(r, z)
        if float(rho) <= 0.0:
            break
        if p is None:
            p = [v.clone() for v in z]
        else:
            beta = rho / rho_prev if fletcher_reeves else (rho - _dot(r_prev, z)) / rho_prev
            beta = beta.clamp(min=0)
            p = [zv + beta * pv for zv, pv in zip(z, p)]
        q = apply_a(p)
        pq = _dot(p, q)
        if float(pq) <= 0.0:
            break
        alpha = (rho if standard_alpha else _dot(p, r)) / pq
        if not fletcher_reeves:
            r_prev = [v.clone() for v in r]
        x = [xv + alpha * pv for xv, pv in zip(x, p)]
        r = [rv - alpha * qv for rv, qv in zip(r, q)]
        rho_prev = rho
    return x


def gauss_newton_cg(residuals: Callable[[Tensors], Tensors], x: Sequence[torch.Tensor], gn_iterations: int,
                    cg_iterations: int, preconditioner: Sequence[float] | None = None,
                    fletcher_reeves: bool = False, standard_alpha: bool = True) -> Tensors:
    """Minimise ``0.5 * sum ||r_i(x)||^2``; returns the new ``x`` (fresh tensors, no graph).

    One Gauss-Newton iteration with ``cg_iterations`` of CG is one linearised update, the form online trackers
    use between frames; several iterations solve a nonlinear problem.
    """
    x = [v.detach().clone() for v in x]
    for _ in range(gn_iterations):
        x = [v.requires_grad_(True) for v in x]
        with torch.enable_grad():
            r = residuals(x)
            v = [t.detach().requires_grad_(True) for t in r]
            jt_v = _grad(r, x, v, create_graph=True)

            def normal_matrix(p: Tensors) -> Tensors:
                jp = _grad(jt_v, v, p, retain_graph=True)
                return [t.detach() for t in _grad(r, x, jp, retain_graph=True)]

            dx = conjugate_gradient(normal_matrix, [-t.detach() for t in jt_v], cg_iterations, preconditioner,
                                    fletcher_reeves, standard_alpha)
        x = [(xv.detach() + d) for xv, d in zip(x, dx)]
    return x


def gaussian_label(size: tuple[int, int], sigma: float | tuple[float, float], center: tuple[float, float],
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W) map ``exp(-((col - cx)^2 / (2 sx^2) + (row - cy)^2 / (2 sy^2)))``; ``center`` is ``(cx, cy)`` in
    cell units, cell ``(row, col)`` sitting at coordinate ``(col, row)``."""
    sx, sy = (sigma, sigma) if isinstance(sigma, (int, float)) else sigma
    rows = torch.arange(size[0], dtype=torch.float32, device=device)
    cols = torch.arange(size[1], dtype=torch.float32, device=device)
    gy = torch.exp(-0.5 * ((rows - center[1]) / sy) ** 2)
    gx = torch.exp(-0.5 * ((cols - center[0]) / sx) ** 2)
    return gy[:, None] * gx[None, :]
