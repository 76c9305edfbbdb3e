"""`SummaryWriter` methods for one kind of data each: histograms, images, text, figures,
audio, video, pr curves, meshes, embeddings, ...

A mixin, so that the writer's core (scalars, queues, files) reads on its own; every method
here builds a Summary and hands it to `self._summary(summary, global_step, walltime)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from flowlog.summaries import builders, media, plugins, projector
from flowlog.writers.encoding import _int_step


class PluginMethods:
    """The `add_*` methods of `SummaryWriter` that log one kind of data each."""

    def _summary(self, summary: Any, global_step: Any, walltime: float | None) -> None:
        raise NotImplementedError  # the writer's core provides it

    def get_logdir(self) -> str:
        raise NotImplementedError

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: Any = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log a histogram of `values` (TensorBoard's bucket layout, or NumPy `bins`)."""
        self._summary(builders.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Any = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log an image (CHW, HWC or HW; uint8, or float in [0, 1]) as PNG."""
        self._summary(builders.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Any = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images (NCHW, NHWC or NHW) as one PNG grid, 8 images a row.

        A list of CHW or HWC images works too (tensorboardX), with that `dataformats`.
        """
        if isinstance(img_tensor, (list, tuple)):
            img_tensor = np.stack([builders._as_array(x) for x in img_tensor])
            if len(dataformats) == 3:
                dataformats = "N" + dataformats
        self._summary(builders.images(tag, img_tensor, dataformats), global_step, walltime)

    def add_text(
        self, tag: str, text_string: str, global_step: Any = None, walltime: float | None = None
    ) -> None:
        """Log a text (markdown) summary under `<tag>/text_summary`, as torch names it."""
        builders.check_tag(tag)
        summary = builders.text(tag + "/text_summary", text_string)
        summary.value[0].tensor.tensor_shape.dim.add(size=1)  # a vector of one string
        self._summary(summary, global_step, walltime)

    def add_figure(
        self, tag: str, figure: Any, global_step: Any = None, close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Log a matplotlib figure, or a list of them as one grid, as a PNG image.

        `close=True` closes the figures once drawn, so loops do not pile them up.
        """
        pixels = media.figure_to_image(figure, close)
        if pixels.ndim == 4:
            summary = builders.images(tag, pixels, "NCHW")
        else:
            summary = builders.image(tag, pixels, "CHW")
        self._summary(summary, global_step, walltime)

    def add_audio(
        self, tag: str, snd_tensor: Any, global_step: Any = None, sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """Log audio samples in [-1, 1], (frames,) or (frames, channels), as a 16-bit WAV."""
        self._summary(media.audio(tag, snd_tensor, sample_rate), global_step, walltime)

    def add_video(
        self, tag: str, vid_tensor: Any, global_step: Any = None, fps: float = 4,
        walltime: float | None = None, dataformats: str = "NTCHW",
    ) -> None:
        """Log videos (N, T, C, H, W), uint8 or float in [0, 1], as one animated GIF grid."""
        self._summary(media.video(tag, vid_tensor, fps, dataformats), global_step, walltime)

    def add_image_with_boxes(
        self, tag: str, img_tensor: Any, box_tensor: Any, global_step: Any = None,
        walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
        labels: Sequence[str] | str | None = None,
    ) -> None:
        """Log an image with red boxes (N, 4: xmin, ymin, xmax, ymax in pixels) drawn on it.

        One label per box is written above it; labels of another count are left out, as
        torch does. `rescale` scales the result (nearest pixel; torch resamples with Lanczos).
        """
        if isinstance(labels, str):
            labels = [labels]
        if labels is not None and len(labels) != len(builders._as_array(box_tensor)):
            labels = None
        summary = media.image_with_boxes(
            tag, img_tensor, box_tensor, dataformats, labels, rescale
        )
        self._summary(summary, global_step, walltime)

    def add_mesh(
        self, tag: str, vertices: Any, colors: Any = None, faces: Any = None,
        config_dict: Mapping | None = None, global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a point cloud or mesh: vertices, colors, faces each (batch, n, 3)."""
        summary = plugins.mesh(tag, vertices, colors, faces, config_dict)
        self._summary(summary, global_step, walltime)

    def add_pr_curve(
        self, tag: str, labels: Any, predictions: Any, global_step: Any = None,
        num_thresholds: int = 127, weights: Any = None, walltime: float | None = None,
    ) -> None:
        """Log a precision-recall curve of binary `labels` against `predictions` in [0, 1]."""
        summary = plugins.pr_curve(tag, labels, predictions, num_thresholds, weights)
        self._summary(summary, global_step, walltime)

    def add_pr_curve_raw(
        self, tag: str, true_positive_counts: Any, false_positive_counts: Any,
        true_negative_counts: Any, false_negative_counts: Any, precision: Any, recall: Any,
        global_step: Any = None, num_thresholds: int = 127, weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a precision-recall curve from per-threshold counts, precision and recall."""
        summary = plugins.pr_curve_raw(
            tag, true_positive_counts, false_positive_counts, true_negative_counts,
            false_negative_counts, precision, recall, num_thresholds,
        )
        self._summary(summary, global_step, walltime)

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, Any]]) -> None:
        """Lay out the custom scalars dashboard: {category: {title: [kind, tags]}}.

        kind is 'Multiline' (tags are regular expressions) or 'Margin' (value, lower, upper).
        """
        self._summary(plugins.custom_scalars(layout), None, None)

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """One multiline chart of `tags` (regular expressions) in the custom scalars layout."""
        self.add_custom_scalars({category: {title: ["Multiline", list(tags)]}})

    def add_custom_scalars_marginchart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """One margin chart of `tags` = [value, lower, upper] in the custom scalars layout."""
        self.add_custom_scalars({category: {title: ["Margin", list(tags)]}})

    def add_tensor(
        self, tag: str, tensor: Any, global_step: Any = None, walltime: float | None = None
    ) -> None:
        """Log a whole tensor (any shape) under the `tensor` plugin."""
        self._summary(plugins.tensor(tag, tensor), global_step, walltime)

    def add_histogram_raw(
        self, tag: str, min: Any, max: Any, num: Any, sum: Any, sum_squares: Any,
        bucket_limits: Any, bucket_counts: Any, global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a histogram from its statistics and buckets (bucket i ends at limit i)."""
        summary = builders.histogram_raw(
            tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts
        )
        self._summary(summary, global_step, walltime)

    def add_embedding(
        self, mat: Any, metadata: Sequence | None = None, label_img: Any = None,
        global_step: Any = None, tag: str = "default", metadata_header: Sequence | None = None,
    ) -> None:
        """Write an embedding for TensorBoard's projector (see `flowlog.summaries.projector`).

        `mat` is (points, dimensions); `metadata` one label per point, or one row per point
        with `metadata_header` naming the columns; `label_img` (N, C, H, W) images for the
        sprite. Each (global_step, tag) gets its own files; the run's config lists them all.
        """
        step = 0 if global_step is None else _int_step(global_step)
        projector.write_embedding(
            self.get_logdir(), mat, metadata, label_img, step, tag, metadata_header
        )
