"""Numbers a fresh-eyes review found misleading: a legend past float64's range, a gradient plot silent
about its own factor while the verdict (the Jacobians' worst case) says the opposite."""

import numpy as np

from simulator.config import Config
from ui import diagram as dg
from ui.plots import fmt
from ui.session import Session


def test_the_log_legend_never_names_a_decade_past_float64():
    norms = np.array([1e-3, 1e300, 1.5e308])
    u, lo, hi = dg.log_scale(norms)
    assert hi == 308 and dg.decade(hi) == "1e308"
    assert u.max() == 1.0 and u.min() >= 0.0
    u, lo, hi = dg.log_scale(np.array([1.7e308]))  # one value near the top: still two decades wide
    assert hi == 308 and hi - lo >= 2
    u, lo, hi = dg.log_scale(np.array([0.5, 3.0]))  # ordinary norms keep their whole decades
    assert (lo, hi) == (-1.0, 1.0)


def test_the_gradient_plot_shows_the_gradients_own_factor_next_to_the_jacobian_verdict(qtbot):
    from ui.plots import GradientPlot

    session = Session(Config(cell="gru", wrec=2.5, steps=20))
    plot = GradientPlot(session)
    qtbot.addWidget(plot)
    trace = session.trace
    assert trace.verdict == "exploding" and trace.gradient_factor < 1  # the case that read as a contradiction
    assert f"×{fmt(trace.gradient_factor, 3)}</b>/step back" in plot.badge_line._texts[0]
    session.update(topology="many_to_many")  # a loss at every step: no single factor to show
    assert not any("/step back" in t for t in plot.badge_line._texts)
    assert "a loss at every step" in plot.badge_line._texts[0]
