"""The cell view's shortcuts give the very numbers of the long way (one unit's products, ...)."""

import numpy as np
import pytest

from simulator.config import Config
from ui.cell_view import MEAN, CellView
from ui.session import Session


@pytest.fixture
def make_view(qtbot):
    def make(**config) -> CellView:
        view = CellView(Session(Config(**config)))
        qtbot.addWidget(view)
        view.resize(900, 480)
        return view

    return make


def _products(trace, cell: str) -> dict[str, np.ndarray]:
    """The products the cell shows, over every unit, (T, B, H) each (as the view computed them before)."""
    cache = trace.caches[-1]
    gates = trace.gates(-1)
    with np.errstate(all="ignore"):
        if cell == "lstm":
            c = cache["c"]
            return {"fc": gates["f"] * c[:-1], "ig": gates["i"] * gates["g"]}
        z, n, h = gates["z"], gates["n"], cache["h"]
        return {"zh": z * h[:-1], "one_minus_z": 1.0 - z, "zn": (1.0 - z) * n, "rh": gates["r"] * cache["hpn"]}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("wrec", [0.9, 3.0])
def test_one_units_products_are_the_products_of_every_unit_cut_out(make_view, cell, wrec):
    view = make_view(cell=cell, steps=30, hidden=4, wrec=wrec)
    products = _products(view.session.trace, cell)
    for unit in (0, 3, MEAN):
        view.set_unit(unit)
        for name, full in products.items():
            with np.errstate(all="ignore"):
                want = full[:, 0].mean(axis=-1) if unit == MEAN else full[:, 0, unit]
            got = view._series[name]
            assert np.array_equal(got, want, equal_nan=True), (unit, name)
            assert got.tobytes() == np.ascontiguousarray(want).tobytes()  # bit for bit (signed zeros too)
