"""Exports for slides: any figure to PNG, SVG, CSV or an animated GIF, or to the clipboard.

PNG goes through pyqtgraph's ImageExporter. SVG goes through Qt's own QSvgGenerator with
pyqtgraph's export mode set around it (pyqtgraph 0.14.0's SVGExporter raises ValueError in
correctCoordinates with PySide6 >= 6.11, which writes 'Z' in paths). GIF: one frame per
animation step (the forward pass, then BPTT: 2T frames), each with a strip under the figure
that says the phase and the step, encoded by Pillow. CSV: the figure's numbers with a header.

Every file is written whole to a temporary file next to the target and then renamed, so a
failed export never leaves half a file behind. In the window, each plot's right-click menu and
File > Export reach the same commands (ui/commands.py).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pyqtgraph.exporters import Exporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtSvg import QSvgGenerator

from .figures import Figure, FigureError, frame_caption

FORMATS: dict[str, str] = {
    "png": "PNG image",
    "svg": "SVG drawing",
    "csv": "CSV data",
    "gif": "GIF animation (forward + BPTT)",
}
GIF_FPS = 4.0  # frames per second of an exported animation: slow enough to follow on a slide
GIF_HOLD_S = 1.5  # extra seconds on the last frame before the animation loops
MAX_FRAMES = 400  # an animation for slides: T <= 200 (longer ones take minutes and hundreds of MB)
SVG_DPI = 96  # CSS pixels: one figure pixel is one SVG user unit
MP4_PACKAGE = "imageio-ffmpeg==0.8.1"  # optional: a wheel that bundles an ffmpeg binary (H.264)


class ExportError(ValueError):
    """An export we refuse (unknown format, a figure that has no such form), with the reason."""


class VectorExporter(Exporter):
    """pyqtgraph's export mode around a QPainter of any device, e.g. a QSvgGenerator.

    In export mode pyqtgraph draws every scatter symbol as a path rather than from its pixmap
    atlas, so an SVG keeps them as vectors.
    """

    def paint(self, painter: QPainter, target: QRectF) -> None:
        """Render the item's scene rectangle into `target`."""
        source = self.getSourceRect()
        background = self.getScene().views()[0].backgroundBrush().color()
        scale = target.width() / max(1.0, source.width())
        self.setExportMode(
            True, {"antialias": True, "background": background, "painter": painter, "resolutionScale": scale}
        )
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self.getScene().render(painter, target, source)
        finally:
            self.setExportMode(False)


# ---- bytes of each format -------------------------------------------------------------------------
def _qt_bytes(write) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    write(buffer)
    buffer.close()
    return bytes(data.data())


def png_bytes(figure: Figure, scale: float = 1.0) -> bytes:
    """The figure as PNG, size × scale pixels."""
    image = figure.image(scale)
    return _qt_bytes(lambda buf: image.save(buf, "PNG"))


def clip_polyline(
    x: np.ndarray, y: np.ndarray, rect: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The parts of a polyline inside rect = (x0, x1, y0, y1), NaN between the pieces (Liang–Barsky
    per segment; a NaN point breaks the line, as it does on screen)."""
    x0, x1, y0, y1 = rect
    xs: list[float] = []
    ys: list[float] = []

    def add(px: float, py: float) -> None:
        xs.append(px)
        ys.append(py)

    n = len(x)
    if n == 1 and x0 <= x[0] <= x1 and y0 <= y[0] <= y1:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    for i in range(n - 1):
        ax, ay, bx, by = float(x[i]), float(y[i]), float(x[i + 1]), float(y[i + 1])
        lo, hi = 0.0, 1.0
        inside = all(map(np.isfinite, (ax, ay, bx, by)))
        dx, dy = bx - ax, by - ay
        for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
            if not inside:
                break
            if p == 0:
                inside = q >= 0
            elif p < 0:
                lo = max(lo, q / p)
            else:
                hi = min(hi, q / p)
            inside = inside and lo <= hi
        if not inside:
            if xs and not np.isnan(xs[-1]):
                add(np.nan, np.nan)
            continue
        start = (ax + lo * dx, ay + lo * dy)
        if not xs or np.isnan(xs[-1]) or (xs[-1], ys[-1]) != start:
            if xs and not np.isnan(xs[-1]):
                add(np.nan, np.nan)
            add(*start)
        add(ax + hi * dx, ay + hi * dy)
    return np.array(xs, dtype=float), np.array(ys, dtype=float)


@contextmanager
def curves_clipped_to_views(root) -> Iterator[int]:
    """The plot curves under a graphics item cut to their views' ranges while the block runs (their
    data is put back after), for vector output: Qt's SVG generator writes no clipping, so a line
    leaving the view (an exploding bound) ran through the title. Yields how many were cut."""
    import pyqtgraph as pg

    cut = []
    for curve in [root, *_descendants(root)] if root is not None else []:
        if not isinstance(curve, pg.PlotCurveItem) or curve.xData is None or not len(curve.xData):
            continue
        view = curve.getViewBox()
        if view is None:
            continue
        (x0, x1), (y0, y1) = view.viewRange()
        x, y = np.asarray(curve.xData, dtype=float), np.asarray(curve.yData, dtype=float)
        with np.errstate(invalid="ignore"):
            if np.all((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)):
                continue  # wholly inside: as it is
        cx, cy = clip_polyline(x, y, (x0, x1, y0, y1))
        cut.append((curve, x, y, curve.opts.get("connect", "all")))
        curve.setData(x=cx, y=cy, connect="finite")
    try:
        yield len(cut)
    finally:
        for curve, x, y, connect in cut:
            curve.setData(x=x, y=y, connect=connect)


def _descendants(item) -> list:
    out, todo = [], list(item.childItems())
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(child.childItems())
    return out


def _svg_drawing(size: tuple[int, int], paint: Callable[[QPainter], None], title: str = "") -> bytes:
    """An SVG document of size pixels (96 per inch) drawn by paint(painter)."""
    w, h = size

    def write(buf) -> None:
        gen = QSvgGenerator()
        gen.setOutputDevice(buf)
        gen.setResolution(SVG_DPI)  # pyqtgraph's cached pictures replay scaled by the device's dpi
        gen.setSize(QSize(w, h))
        gen.setViewBox(QRectF(0, 0, w, h))
        if title:
            gen.setTitle(title)
            gen.setDescription("Exported from Unrolled, a visual simulator for recurrent neural networks")
        painter = QPainter(gen)
        try:
            paint(painter)
        finally:
            painter.end()

    return flatten_scaled_strokes(_qt_bytes(write))


_SCALED_GROUP = re.compile(rb'(<g\b[^>]*?)transform="matrix\(([^)]*)\)"([^>]*>)((?:(?!<g\b).)*?)(</g>)', re.S)
_SHAPES_ONLY = re.compile(rb"\s*(?:<(?:path|polyline|polygon)\b[^>]*/>\s*)+")
_POINT = re.compile(rb"(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?),(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_COORDS = re.compile(rb'\b(d|points)="([^"]*)"')


def flatten_scaled_strokes(document: bytes) -> bytes:
    """Put a scaling transform into the coordinates of the lines under it.

    Qt writes a cosmetic pen under a scaling transform (the φ plot's curves in data units, a
    legend's symbol drawn at size 1 and scaled 9 times) as vector-effect="non-scaling-stroke".
    Renderers without it (cairo, LibreOffice) scale the stroke with the shape: the φ curves came out
    about 40 px thick. A group of paths and polylines only gets its points transformed and an
    identity transform, so every renderer draws the same thing.
    """

    def flatten(m: re.Match) -> bytes:
        head, matrix, rest, body, close = m.groups()
        try:
            a, b, c, d, e, f = (float(v) for v in matrix.split(b","))
        except ValueError:
            return m.group(0)
        scales = (a, b, c, d) != (1.0, 0.0, 0.0, 1.0)
        if not scales or b"non-scaling-stroke" not in body or not _SHAPES_ONLY.fullmatch(body):
            return m.group(0)

        def point(p: re.Match) -> bytes:
            x, y = float(p.group(1)), float(p.group(2))
            return b"%.7g,%.7g" % (a * x + c * y + e, b * x + d * y + f)

        body = _COORDS.sub(lambda q: q.group(1) + b'="' + _POINT.sub(point, q.group(2)) + b'"', body)
        return head + b'transform="matrix(1,0,0,1,0,0)"' + rest + body + close

    return _SCALED_GROUP.sub(flatten, document)


def svg_bytes(figure: Figure) -> bytes:
    """The figure as an SVG drawing of size pixels (96 per inch), text as text; plot curves cut to
    their views (see curves_clipped_to_views), and a widget figure's scrolled panels and plots cut
    to what they show (see clipped_widget_svg)."""
    w, h = figure.size
    widget = figure.widget
    if figure.item is None and widget is not None and figure.size == (widget.width(), widget.height()):
        return clipped_widget_svg(widget, figure.background, f"Unrolled: {figure.name}")

    def paint(painter: QPainter) -> None:
        with curves_clipped_to_views(figure.item):
            figure.paint(painter, QRectF(0, 0, w, h))

    return _svg_drawing((w, h), paint, f"Unrolled: {figure.name}")


# ---- a widget's SVG with its scrolled panels and plots cut to what they show ----------------------
_SVG_OPEN = re.compile(rb"<svg\b[^>]*>")
_SVG_IDS = re.compile(rb'(id="|url\(#|href="#)([A-Za-z_][\w.-]*)')


def _viewports(widget, within) -> list:
    """The nearest viewports (of scroll areas and graphics views) under widget that are shown."""
    from PySide6.QtWidgets import QAbstractScrollArea

    out, todo = [], [c for c in widget.children() if c.isWidgetType()]
    while todo:
        child = todo.pop(0)
        if not child.isVisibleTo(within):
            continue
        if isinstance(child, QAbstractScrollArea) and child.viewport() is not None:
            out.append(child.viewport())
            continue  # what lies under it is its viewport's to cut
        todo.extend(c for c in child.children() if c.isWidgetType())
    return out


def _svg_body(document: bytes, prefix: str) -> bytes:
    """What a QSvgGenerator document draws (its defs and groups), its ids made unique with prefix."""
    start = _SVG_OPEN.search(document).end()
    end = document.rindex(b"</svg>")
    body = re.sub(rb"<title>.*?</title>|<desc>.*?</desc>", b"", document[start:end], flags=re.S)
    return _SVG_IDS.sub(lambda m: m.group(1) + prefix.encode() + m.group(2), body)


def _widget_svg_body(widget, counter: list[int], within) -> bytes:
    """SVG drawing elements of widget (in its own coordinates), each viewport under it drawn
    separately inside a group cut to the viewport's rectangle."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QRegion

    viewports = [v for v in _viewports(widget, within) if v.width() > 0 and v.height() > 0]
    region = QRegion(widget.rect())
    for v in viewports:
        region -= QRegion(v.rect().translated(v.mapTo(widget, QPoint(0, 0))))
    document = _svg_drawing(
        (widget.width(), widget.height()), lambda p: widget.render(p, QPoint(0, 0), region)
    )  # the parts outside the viewports (children wholly inside one are left out)
    counter[0] += 1
    parts = [_svg_body(document, f"u{counter[0]}_")]
    for v in viewports:
        at = v.mapTo(widget, QPoint(0, 0))
        counter[0] += 1
        clip = f"uclip{counter[0]}"
        inner = _widget_svg_body(v, counter, within)
        parts.append(
            f'<g transform="translate({at.x()},{at.y()})"><defs><clipPath id="{clip}">'
            f'<rect x="0" y="0" width="{v.width()}" height="{v.height()}"/></clipPath></defs>'
            f'<g clip-path="url(#{clip})">'.encode()
            + inner
            + b"</g></g>"
        )
    return b"\n".join(parts)


def clipped_widget_svg(widget, background: QColor, title: str) -> bytes:
    """A widget (the window) as SVG, with every scroll area's and graphics view's contents cut to
    its viewport.

    Qt's SVG generator writes no clipping: a scrolled panel's rows below its edge were drawn over
    the status bar, and a curve leaving a plot ran over its neighbours. So the widget is drawn
    without its viewports, and each viewport is drawn on its own (the same way, for those nested in
    it) into a group with an SVG clip path of the viewport's rectangle; pyqtgraph's curves are cut
    to their views as in a plot figure.
    """
    from contextlib import ExitStack

    import pyqtgraph as pg

    w, h = widget.width(), widget.height()
    with ExitStack() as stack:
        for view in widget.findChildren(pg.GraphicsView):
            scene = view.scene()
            if scene is not None and view.isVisibleTo(widget):
                for item in scene.items():
                    if item.parentItem() is None:
                        stack.enter_context(curves_clipped_to_views(item))
        body = _widget_svg_body(widget, [0], widget)
    frame = _svg_drawing((w, h), lambda p: p.fillRect(QRectF(0, 0, w, h), background), title)
    # clip paths are SVG 1.1 (not in the Tiny profile the generator declares)
    frame = frame.replace(b' version="1.2" baseProfile="tiny"', b' version="1.1"', 1)
    end = frame.rindex(b"</svg>")
    return frame[:end] + body + b"\n" + frame[end:]


def csv_text(figure: Figure) -> str:
    """The figure's numbers: a header row, then one row per step (or point); floats round-trip exactly."""
    try:
        header, rows = figure.table()
    except FigureError as exc:
        raise ExportError(str(exc)) from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[repr(v) if isinstance(v, float) else v for v in row] for row in rows])
    return out.getvalue()


Progress = Callable[[int, int], bool]  # (frames done, frames in all) -> False to cancel


class ExportCancelledError(ExportError):
    """The user cancelled a long export; nothing was written."""


def animation_length(figure: Figure) -> int:
    """How many frames the animation has: 2T, or up to the overflow where the player stops."""
    session = figure.session
    return session.n_frames if session.stop_frame is None else session.stop_frame + 1


def animation_frame(figure: Figure, frame: int) -> QImage:
    """One frame of the animation: the figure at that frame over the strip that names the phase and step."""
    figure.set_frame(frame)
    return _with_strip(figure, figure.image(), frame)


def check_animation(figure: Figure) -> int:
    """The number of animation frames; ExportError if the figure has no animation or too long a one."""
    if not figure.animated:
        raise ExportError(f"the {figure.name} figure does not change with the animation: export it as PNG or SVG")
    n = animation_length(figure)
    if n > MAX_FRAMES:
        raise ExportError(
            f"T = {figure.session.trace.T} steps make {n} animation frames; an animation for slides holds at most "
            f"{MAX_FRAMES} (T <= {MAX_FRAMES // 2}): use fewer steps, or export single frames as PNG"
        )
    return n


def animation_frames(figure: Figure, progress: Progress | None = None) -> Iterator[QImage]:
    """One image per animation step: the figure at that frame over a strip naming the phase and step.

    The animation has 2T frames (the forward pass, then BPTT); where a value overflows it stops
    at that frame, as the window's player does. At most MAX_FRAMES: a longer one is refused.
    """
    n = check_animation(figure)
    start = figure.session.frame
    size = figure.size
    try:
        # the strip takes its height from the figure: a frame is as large as a still (1600×900), not taller
        figure.relayout((size[0], size[1] - strip_height(figure)))
        figure.show_playhead(True)
        for frame in range(n):
            if progress is not None and not progress(frame, n):
                raise ExportCancelledError("export cancelled; nothing was written")
            yield animation_frame(figure, frame)
    finally:
        figure.relayout(size)
        figure.set_frame(start)


def strip_height(figure: Figure) -> int:
    """The height of an animation frame's strip (▶ forward / ◀ BPTT, the step, the progress bar)."""
    return round(1.9 * QFontMetricsF(figure.theme.font(0.95, bold=True)).height())


def _with_strip(figure: Figure, image: QImage, frame: int) -> QImage:
    """The image with a strip under it: ▶ forward / ◀ BPTT, the step, and a progress bar of all frames."""
    theme, c = figure.theme, figure.theme.colours
    session = figure.session
    font, bold = theme.font(0.95), theme.font(0.95, bold=True)
    fm = QFontMetricsF(bold)
    h = strip_height(figure)
    W = image.width()
    out = QImage(W, image.height() + h, QImage.Format.Format_ARGB32)
    out.fill(QColor(c.background))
    p = QPainter(out)
    p.drawImage(0, 0, image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    y0 = image.height()
    p.setPen(QPen(QColor(c.grid), 1))
    p.drawLine(QPointF(0, y0 + 0.5), QPointF(W, y0 + 0.5))
    phase, _ = session.phase_step(frame)
    colour = QColor(c.forward if phase == "forward" else c.backward)
    word, step = frame_caption(session, frame)
    x = 0.8 * fm.height()
    p.setFont(bold)
    p.setPen(colour)
    rect = QRectF(x, y0, W, h)
    p.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, word)
    x += fm.horizontalAdvance(word + "   ")
    p.setFont(font)
    p.setPen(QColor(c.foreground))
    p.drawText(QRectF(x, y0, W, h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, step)
    x += QFontMetricsF(font).horizontalAdvance(step + "    ")
    # progress: the forward half, then the backward half, filled up to this frame
    n = session.n_frames
    left, right = max(x, 0.45 * W), W - 0.8 * fm.height()
    if right - left > 20:
        bar_h = 0.45 * fm.height()
        top = y0 + 0.5 * (h - bar_h)
        half = 0.5 * (right - left)
        for k, col in enumerate((c.forward, c.backward)):
            track = QColor(col)
            track.setAlpha(50)
            p.fillRect(QRectF(left + k * half, top, half - 2, bar_h), track)
        done = (frame + 1) / n * (right - left)
        p.fillRect(QRectF(left, top, min(done, half - 2), bar_h), QColor(c.forward))
        if done > half:
            p.fillRect(QRectF(left + half, top, min(done - half, half - 2), bar_h), QColor(c.backward))
    p.end()
    return out


def _rgb(image: QImage) -> np.ndarray:
    """(h, w, 3) uint8 RGB of a QImage."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    buf = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


class NearestColour:
    """Maps RGB pixels to the index of the nearest palette colour, exactly (Pillow's own mapping is approximate)."""

    def __init__(self, palette: np.ndarray):
        self.palette = np.asarray(palette, dtype=np.int32)  # (256, 3)
        self.lut = np.zeros(1 << 24, dtype=np.uint8)  # packed RGB -> index, filled as colours appear
        self.known = np.zeros(1 << 24, dtype=bool)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """(h, w) uint8 palette indices of an (h, w, 3) uint8 image."""
        c = rgb.astype(np.int32)
        packed = (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]
        new = np.unique(packed[~self.known[packed]])
        for chunk in np.array_split(new, max(1, len(new) // 4096)):
            if not len(chunk):
                continue
            u = np.stack([chunk >> 16, (chunk >> 8) & 255, chunk & 255], axis=1)  # (U, 3)
            d = ((u[:, None, :] - self.palette[None, :, :]) ** 2).sum(axis=2)  # (U, 256)
            self.lut[chunk] = d.argmin(axis=1)
            self.known[chunk] = True
        return self.lut[packed]


def gif_palette(figure: Figure) -> np.ndarray:
    """One palette for every frame (no flicker between them): (256, 3) ints.

    Median cut over the first, middle and last frames, plus the theme's own colours exactly, so
    that white stays white and the text keeps its colour.
    """
    from PIL import Image

    c = figure.theme.colours
    exact = []
    for name in (c.background, c.foreground, c.muted, c.grid, c.forward, c.backward, c.cursor, c.bound, *c.series):
        rgb = QColor(name).getRgb()[:3]
        if rgb not in exact:
            exact.append(rgb)
    n = animation_length(figure)
    start = figure.session.frame
    try:
        figure.show_playhead(True)
        picks = [_rgb(animation_frame(figure, k))[::2, ::2] for k in sorted({0, n // 2, n - 1})]
    finally:
        figure.set_frame(start)
    sample = Image.fromarray(np.concatenate(picks, axis=0))
    k = 256 - len(exact)
    adaptive = sample.quantize(colors=k, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    entries = (adaptive.getpalette() or [])[: 3 * k]
    entries += [0] * (3 * k - len(entries))
    return np.array(entries + [v for rgb in exact for v in rgb], dtype=np.int32).reshape(256, 3)


def gif_bytes(figure: Figure, fps: float = GIF_FPS, progress: Progress | None = None) -> bytes:
    """The forward + BPTT animation as a looping GIF: one frame per animation step, one shared palette.

    Frames are rendered, mapped to the palette and handed to Pillow one at a time.
    """
    from PIL import Image

    n = check_animation(figure)
    colours = gif_palette(figure)
    frames = animation_frames(figure, progress)
    flat = colours.astype(np.uint8).ravel().tolist()
    nearest = NearestColour(colours)

    def indexed() -> Iterator[Image.Image]:
        for image in frames:
            p = Image.fromarray(nearest(_rgb(image)), mode="P")
            p.putpalette(flat)
            yield p

    images = indexed()
    first = next(images)
    ms = max(20, round(1000 / max(0.1, fps)))
    durations = [ms] * n
    durations[-1] += round(1000 * GIF_HOLD_S)
    out = io.BytesIO()
    first.save(out, format="GIF", save_all=True, append_images=images, duration=durations, loop=0)
    return out.getvalue()


def mp4_available() -> bool:
    """Whether MP4 can be written: the optional package imageio-ffmpeg (with its bundled ffmpeg) is installed."""
    try:
        import imageio_ffmpeg

        return bool(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:
        return False


def write_mp4(figure: Figure, path: str | os.PathLike, fps: float = GIF_FPS, progress: Progress | None = None) -> int:
    """The animation as an H.264 MP4 (imageio-ffmpeg's bundled ffmpeg); returns the number of animation steps."""
    if not mp4_available():
        raise ExportError(
            f"MP4 needs the optional package {MP4_PACKAGE} (pip install {MP4_PACKAGE}); GIF works without it"
        )
    import imageio_ffmpeg

    n = check_animation(figure)
    frames = animation_frames(figure, progress)
    first = _rgb(next(frames))
    h, w = first.shape[:2]
    H, W = h + h % 2, w + w % 2  # yuv420p needs even sizes: pad with the background
    background = np.array(QColor(figure.theme.colours.background).getRgb()[:3], dtype=np.uint8)
    with atomic_path(path, suffix=".mp4") as tmp:
        writer = imageio_ffmpeg.write_frames(
            tmp, (W, H), fps=fps, codec="libx264", pix_fmt_out="yuv420p", macro_block_size=2, quality=8,
            output_params=["-movflags", "+faststart"],
        )  # fmt: skip
        writer.send(None)
        hold = round(GIF_HOLD_S * fps)
        padded = np.empty((H, W, 3), dtype=np.uint8)
        padded[:] = background
        for k in range(n):
            padded[:h, :w] = first if k == 0 else _rgb(next(frames))
            for _ in range(1 + (hold if k == n - 1 else 0)):
                writer.send(padded.tobytes())
        writer.close()
    return n


# ---- files ----------------------------------------------------------------------------------------------
@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[str]:
    """A temporary file beside `path` to write; it replaces `path` in one rename when the block ends
    normally, and is removed when it raises (nothing half-written stays)."""
    target = Path(os.fspath(path))
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would make it, not mkstemp's owner-only 0600
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Replace `path` with `data` in one rename (OSError if the disk refuses; nothing half-written stays)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def format_of(path: str | os.PathLike) -> str:
    """The export format a file name asks for ('png', 'svg', 'csv', 'gif'); ExportError otherwise."""
    suffix = Path(os.fspath(path)).suffix.lower().lstrip(".")
    if suffix == "mp4":
        if not mp4_available():
            raise ExportError(
                f"MP4 needs the optional package {MP4_PACKAGE} (pip install {MP4_PACKAGE}); write a .gif instead"
            )
        return suffix
    if suffix not in FORMATS:
        known = ", ".join(f".{k}" for k in (*FORMATS, "mp4"))
        raise ExportError(f"cannot tell the format from {os.fspath(path)!r}: the file name must end in {known}")
    return suffix


def export_bytes(
    figure: Figure, fmt: str, *, scale: float = 1.0, fps: float = GIF_FPS, progress: Progress | None = None
) -> bytes:
    """The figure in one format."""
    if fmt == "png":
        return png_bytes(figure, scale)
    if fmt == "svg":
        return svg_bytes(figure)
    if fmt == "csv":
        return csv_text(figure).encode("utf-8")
    if fmt == "gif":
        return gif_bytes(figure, fps, progress)
    raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


def export_figure(
    figure: Figure,
    path: str | os.PathLike,
    *,
    scale: float = 1.0,
    fps: float = GIF_FPS,
    progress: Progress | None = None,
) -> str:
    """Write the figure to `path` in the format its suffix names; returns what was written, for a message.

    progress(done, total) is called before each animation frame; returning False cancels (ExportCancelledError).
    """
    fmt = format_of(path)
    if fmt == "mp4":
        return f"MP4, {write_mp4(figure, path, fps, progress)} steps"
    data = export_bytes(figure, fmt, scale=scale, fps=fps, progress=progress)
    write_bytes_atomic(path, data)
    w, h = figure.size
    if fmt == "png":
        return f"{round(w * scale)}×{round(h * scale)} PNG"
    if fmt == "svg":
        return f"{w}×{h} SVG"
    if fmt == "csv":
        rows = data.count(b"\n") - 1
        return f"CSV, {rows} rows"
    return f"GIF, {animation_length(figure)} frames"


def copy_to_clipboard(figure: Figure) -> QMimeData:
    """Put the figure on the clipboard as an image (for slides) and as SVG (for drawing programs)."""
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setImageData(figure.image())
    mime.setData("image/svg+xml", QByteArray(svg_bytes(figure)))
    QApplication.clipboard().setMimeData(mime)
    return mime


# ---- the window: File > Export, Edit > Copy figure, right-click menus ------------------------------------
FIGURE_LABELS = {
    "gradients": "gradient plot",
    "jacobian": "Jacobian plot",
    "eigenvalues": "eigenvalue plot",
    "hidden": "states heatmap",
    "gates": "gates heatmaps",
    "loss": "loss plot",
    "unrolled": "unrolled diagram",
    "window": "window",
}
_last_folder = ""


def _training_record(window) -> dict | None:
    """The training history the window's training view holds, as a scenario's training record."""
    for name in ("training_view", "training"):  # the training panel, under either name
        getter = getattr(getattr(window, name, None), "training_state", None)
        if callable(getter):
            try:
                record = getter()
            except Exception:
                return None
            if isinstance(record, dict):
                return record
    return None


def figure_from_window(window, name: str, theme=None) -> Figure:
    """A figure of what the window shows now: its trace, playhead, folding and state tab, in large type."""
    from .figures import build_figure, export_theme
    from .plots import current_frame

    s = window.session
    folded = bool(getattr(getattr(window, "diagram", None), "folded", False))
    states = getattr(getattr(window, "plots", None), "states", None)
    quantity = states.current if states is not None and name == "hidden" else "h"
    return build_figure(
        name,
        s.config,
        s.trace,
        frame=current_frame(s),
        theme=theme or export_theme(),
        folded=folded,
        quantity=quantity,
        training=_training_record(window) if name == "loss" else None,
        own_weights=s.network is not None,
    )


def _formats_for(name: str) -> list[str]:
    from .figures import TABLE_FIGURES

    return [f for f in FORMATS if f != "csv" or name in TABLE_FIGURES]


def _start_folder(window) -> str:
    from PySide6.QtCore import QStandardPaths

    settings = getattr(window, "settings", None)
    folder = _last_folder or (settings.value("export/folder", "", str) if settings is not None else "")
    if folder and os.path.isdir(folder):
        return folder
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return pictures if pictures and os.path.isdir(pictures) else str(Path.home())


def _remember_folder(window, path: str) -> None:
    global _last_folder
    _last_folder = str(Path(path).parent)
    settings = getattr(window, "settings", None)
    if settings is not None:
        settings.setValue("export/folder", _last_folder)


def ask_path(window, name: str, fmt: str | None = None) -> str:
    """Ask where to save a figure ('' if cancelled); the filter chosen adds its suffix if none was typed."""
    from PySide6.QtWidgets import QFileDialog

    formats = [fmt] if fmt else _formats_for(name)
    if "gif" in formats and mp4_available():
        formats.append("mp4")
    filters = [f"{FORMATS.get(f, 'MP4 video (forward + BPTT)')} (*.{f})" for f in formats]
    start = os.path.join(_start_folder(window), f"unrolled-{name}.{formats[0]}")
    label = FIGURE_LABELS.get(name, name)
    path, chosen = QFileDialog.getSaveFileName(window, f"Export the {label}", start, ";;".join(filters))
    if not path:
        return ""
    if Path(path).suffix.lower().lstrip(".") not in formats:
        picked = formats[filters.index(chosen)] if chosen in filters else formats[0]
        path = f"{path}.{picked}"
    return path


def export_dialog(window, name: str, fmt: str | None = None) -> str:
    """File > Export and the right-click menus: ask for a file, write the figure; the path, or '' if not."""
    path = ask_path(window, name, fmt)
    if not path:
        return ""
    return export_to(window, name, path)


def export_to(window, name: str, path: str) -> str:
    """Write a figure of the window to `path` (format from the suffix); a message box if it fails."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    label = FIGURE_LABELS.get(name, name)
    figure = None
    dialog = None
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        window.session.finish_measuring()  # the figure shows the current trace's norms and verdict
        figure = figure_from_window(window, name)
        progress = None
        if Path(path).suffix.lower() in (".gif", ".mp4"):
            dialog, progress = _progress_dialog(window, f"Rendering the {label}, one frame per step…")
        what = export_figure(figure, path, progress=progress)
    except ExportCancelledError as exc:
        window.statusBar().showMessage(str(exc), 5000)
        return ""
    except (ExportError, FigureError, OSError) as exc:
        QApplication.restoreOverrideCursor()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        QMessageBox.warning(window, "Export failed", f"Could not export the {label} to {path}:\n{reason}")
        return ""
    finally:
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
        if figure is not None:
            figure.close()
        if QApplication.overrideCursor() is not None:
            QApplication.restoreOverrideCursor()
    _remember_folder(window, path)
    window.statusBar().showMessage(f"Saved the {label} to {path} ({what})", 8000)
    return path


def _progress_dialog(window, text: str):
    """A window-modal progress dialog with Cancel, and the progress callback that drives it."""
    from PySide6.QtWidgets import QProgressDialog

    dialog = QProgressDialog(text, "Cancel", 0, 1, window)
    dialog.setWindowTitle("Export")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)  # quick exports never show it

    def progress(done: int, total: int) -> bool:
        dialog.setMaximum(total)
        dialog.setValue(done)  # a modal dialog processes events here, so Cancel works
        return not dialog.wasCanceled()

    return dialog, progress


def copy_figure(window, name: str) -> QMimeData | None:
    """Edit > Copy figure and the right-click menus: the figure onto the clipboard, in large type."""
    figure = None
    try:
        window.session.finish_measuring()  # the figure shows the current trace's norms and verdict
        figure = figure_from_window(window, name)
        mime = copy_to_clipboard(figure)
    except FigureError as exc:
        window.statusBar().showMessage(str(exc), 8000)
        return None
    finally:
        if figure is not None:
            figure.close()
    window.statusBar().showMessage(f"Copied the {FIGURE_LABELS.get(name, name)}: paste it into a slide", 5000)
    return mime


def context_targets(window) -> dict[str, object]:
    """The widget whose right-click menu lists each figure's commands."""
    plots = getattr(window, "plots", None)
    targets = {
        "gradients": getattr(plots, "gradient", None),
        "jacobian": getattr(plots, "jacobian", None),
        "eigenvalues": getattr(plots, "eigen", None),
        "hidden": getattr(plots, "states", None),
        "unrolled": getattr(window, "diagram", None),
    }
    return {name: w for name, w in targets.items() if w is not None}


def install_context_menus(window) -> dict:
    """Give each plot and the diagram a right-click menu of the commands whose `context` names it.

    pyqtgraph's own context menu would offer its export dialog, whose SVG exporter fails with
    this Qt; the plots keep that menu off, and their scenes offer our commands instead.
    """
    from PySide6.QtWidgets import QMenu

    from .commands import COMMANDS

    menus: dict[str, QMenu] = {}
    for name, target in context_targets(window).items():
        actions = [window.actions[c.id] for c in COMMANDS if getattr(c, "context", "") == name]
        if not actions:
            continue
        view = getattr(target, "plot_widget", target)  # a plot's QGraphicsView, or the diagram itself
        menu = QMenu(view)
        menu.setObjectName(f"context_menu_{name}")
        menu.addActions(actions)
        scene = view.scene() if hasattr(view, "scene") and callable(view.scene) else None
        if scene is not None and hasattr(scene, "contextMenu"):
            scene.contextMenu = list(actions)  # in place of pyqtgraph's "Export..." (its SVG exporter fails)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view, m=menu: m.popup(v.mapToGlobal(pos)))
        menus[name] = menu
    gates = window.actions.get("export_gates")
    if gates is not None:

        def on_config(config) -> None:
            gates.setEnabled(config.cell in ("lstm", "gru"))

        window.session.config_changed.connect(on_config)
        on_config(window.session.config)
    window.export_menus = menus
    return menus
