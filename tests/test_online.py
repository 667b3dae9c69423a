"""The online-learning helpers trackers fit their models with: Gauss-Newton + CG and Gaussian labels."""

import math

import torch

from ltr_core.track.online import conjugate_gradient, gauss_newton_cg, gaussian_label


def _problem(seed=0, rows=40, cols=6):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(rows, cols, generator=g, dtype=torch.float64)
    b = torch.randn(rows, generator=g, dtype=torch.float64)
    return a, b


def test_cg_solves_a_symmetric_positive_definite_system_in_n_iterations():
    a, _ = _problem()
    m = a.T @ a
    b = torch.arange(1.0, 7.0, dtype=torch.float64)
    for options in ({}, {"fletcher_reeves": True}, {"standard_alpha": False}):
        x, = conjugate_gradient(lambda p: [m @ p[0]], [b], iterations=6, **options)
        torch.testing.assert_close(x, torch.linalg.solve(m, b), rtol=1e-8, atol=1e-8)
    few, = conjugate_gradient(lambda p: [m @ p[0]], [b], iterations=2)
    assert float((m @ few - b).norm()) > 1e-3             # two iterations are not enough for six unknowns


def test_one_gauss_newton_step_solves_linear_least_squares():
    a, b = _problem()
    x, = gauss_newton_cg(lambda v: [a @ v[0] - b], [torch.zeros(6, dtype=torch.float64)], 1, 6)
    expected = torch.linalg.lstsq(a, b[:, None]).solution[:, 0]
    torch.testing.assert_close(x, expected, rtol=1e-7, atol=1e-7)


def test_regularised_least_squares_matches_the_ridge_solution_with_several_variables():
    a, b = _problem(1)
    lam_w, lam_c = 0.5, 2.0
    c = torch.randn(3, dtype=torch.float64)

    def residuals(v):
        w, bias = v
        return [a @ w + bias.sum() - b, math.sqrt(lam_w) * w, math.sqrt(lam_c) * (bias - c)]

    w, bias = gauss_newton_cg(residuals, [torch.zeros(6, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)],
                              1, 20, preconditioner=[1.0, 4.0])
    # normal equations of the stacked problem, solved directly
    ones = torch.ones(40, 3, dtype=torch.float64)
    big = torch.cat([a, ones], 1)
    reg = torch.diag(torch.tensor([lam_w] * 6 + [lam_c] * 3, dtype=torch.float64))
    rhs = big.T @ b + torch.cat([torch.zeros(6, dtype=torch.float64), lam_c * c])
    expected = torch.linalg.solve(big.T @ big + reg, rhs)
    torch.testing.assert_close(torch.cat([w, bias]), expected, rtol=1e-6, atol=1e-6)


def test_gauss_newton_converges_on_a_nonlinear_fit_and_more_iterations_fit_better():
    t = torch.linspace(0, 2, 30, dtype=torch.float64)
    y = 2.0 * torch.exp(-1.3 * t)

    def residuals(v):
        amp, rate = v[0]
        return [amp * torch.exp(-rate * t) - y]

    def loss(v):
        return float((residuals(v)[0] ** 2).sum())

    start = [torch.tensor([1.0, 0.5], dtype=torch.float64)]
    one = gauss_newton_cg(residuals, start, 1, 2)
    many = gauss_newton_cg(residuals, start, 8, 2)
    assert loss(one) < loss(start)
    assert loss(many) < loss(one)
    torch.testing.assert_close(many[0], torch.tensor([2.0, 1.3], dtype=torch.float64), rtol=1e-6, atol=1e-6)


def test_gauss_newton_works_through_convolutions_and_returns_plain_tensors():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(5, 4, 9, 9, generator=g)
    true_filter = torch.randn(1, 4, 3, 3, generator=g)
    y = torch.nn.functional.conv2d(x, true_filter, padding=1)
    f, = gauss_newton_cg(lambda v: [torch.nn.functional.conv2d(x, v[0], padding=1) - y],
                         [torch.zeros(1, 4, 3, 3)], 1, 60)
    assert not f.requires_grad and f.grad_fn is None
    torch.testing.assert_close(f, true_filter, rtol=1e-3, atol=1e-3)


def test_gaussian_label_peaks_at_its_centre_with_the_given_width():
    lab = gaussian_label((10, 12), 2.0, center=(7.0, 3.0))
    assert lab.shape == (10, 12)
    row, col = divmod(int(lab.argmax()), 12)
    assert (row, col) == (3, 7) and float(lab[3, 7]) == 1.0
    assert math.isclose(float(lab[3, 9]), math.exp(-0.5), rel_tol=1e-6)        # one sigma along x
    assert math.isclose(float(lab[5, 7]), math.exp(-0.5), rel_tol=1e-6)        # one sigma along y
    half = gaussian_label((4, 4), (1.0, 2.0), center=(1.5, 1.5))
    torch.testing.assert_close(half, half.flip(0).flip(1))                     # centred between cells
