"""flowlog: TF1-style dataflow graphs and TensorBoard-compatible event files, without TensorFlow."""

from __future__ import annotations

import importlib
import importlib.util

__version__ = "0.1.0"

# Public names, loaded on first use: the event-file library and the dashboard import flowlog's
# submodules (flowlog.events.records, flowlog.events.decoder, ...) without loading the engine
# and registering its ops. The TF1 vocabulary (`fl.constant`, `fl.Session`, `fl.train`,
# `fl.summary`, ...) is every name in `flowlog.engine.api.__all__`.
_PUBLIC = {
    "export_graph": "flowlog.graph.view",
    "read_events": "flowlog.events.reader",
    "read_scalars": "flowlog.events.reader",
    "read_audio": "flowlog.events.typed_readers",
    "read_embeddings": "flowlog.events.typed_readers",
    "read_histograms": "flowlog.events.typed_readers",
    "read_hparams": "flowlog.events.typed_readers",
    "read_images": "flowlog.events.typed_readers",
    "read_pr_curves": "flowlog.events.typed_readers",
    "read_text": "flowlog.events.typed_readers",
    "EventFileWriter": "flowlog.events.writer",
    "FileWriter": "flowlog.writers.file_writer",
    "SummaryWriter": "flowlog.writers.summary_writer",
    "GlobalSummaryWriter": "flowlog.writers.global_writer",
    "load_ipython_extension": "flowlog.notebook",
    "read_scalars_frame": "flowlog.events.frames",
    "read_histograms_frame": "flowlog.events.frames",
    "read_hparams_frame": "flowlog.events.frames",
}
_ENGINE = "flowlog.engine.api"


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        if name.startswith("__"):
            raise AttributeError(name)
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            # `from flowlog import storage` asks for the attribute before importing the
            # submodule: import it, rather than the engine.
            return importlib.import_module(f"{__name__}.{name}")
        api = importlib.import_module(_ENGINE)
        if name not in api.__all__:
            raise AttributeError(f"module 'flowlog' has no attribute {name!r}")
        value = getattr(api, name)
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | set(importlib.import_module(_ENGINE).__all__))
