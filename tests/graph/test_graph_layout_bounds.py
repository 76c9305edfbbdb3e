"""Big views carry the settings that bound dot's work; small views are laid out unbounded."""
from __future__ import annotations

import re
import subprocess

from graph_samples import neuron_graphdef, sized_mlp_graphdef

from flowlog.graph.dot import BIG_VIEW, HUGE_VIEW, build_view
from flowlog.graph.model import GraphModel


def graph_attrs(dot: str) -> dict[str, str]:
    line = next(ln for ln in dot.splitlines() if ln.startswith("graph ["))
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+?)(?=[\s\]])', line))


def test_small_view_has_no_work_bounds():
    attrs = graph_attrs(build_view(GraphModel(neuron_graphdef()), "all").dot)
    assert attrs["newrank"] == "true"
    assert not {"nslimit", "nslimit1", "mclimit", "searchsize", "remincross"} & set(attrs)


def test_big_open_view_caps_crossing_minimisation_and_simplex():
    view = build_view(GraphModel(sized_mlp_graphdef(1000)), "all")
    assert BIG_VIEW < len(view.units) <= HUGE_VIEW
    attrs = graph_attrs(view.dot)
    assert attrs["newrank"] == "true"
    assert attrs["nslimit"] == "2" and attrs["mclimit"] == "0.2"
    assert attrs["remincross"] == "false"


def test_huge_open_view_ranks_clusters_classically_and_stops_positioning_early():
    view = build_view(GraphModel(sized_mlp_graphdef(2000)), "all")
    assert len(view.units) > HUGE_VIEW
    attrs = graph_attrs(view.dot)
    assert "newrank" not in attrs
    assert float(attrs["nslimit"]) < 1 and attrs["remincross"] == "false"
    # The collapsed view of the same graph stays small and unbounded.
    collapsed = build_view(GraphModel(sized_mlp_graphdef(2000)))
    assert len(collapsed.units) <= BIG_VIEW and "nslimit" not in graph_attrs(collapsed.dot)


def test_exported_dot_of_a_huge_view_keeps_its_bounds():
    view = build_view(GraphModel(sized_mlp_graphdef(2000)), "all")
    canon = subprocess.run(["gvpr", "-c", "N{}", "-o", "/dev/stdout"], input=view.dot.encode(),
                           capture_output=True, check=False)
    assert canon.returncode == 0, canon.stderr
    assert b"nslimit=0.05" in canon.stdout or b'nslimit="0.05"' in canon.stdout
