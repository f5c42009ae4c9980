"""OCR of scanned PDF pages (pages without a text layer), with RapidOCR.

Optional: `pip install 'taskbot[ocr]'` brings rapidocr-onnxruntime (its ONNX
detection/recognition models ship inside the wheel — nothing is downloaded at
run time) and pypdfium2 to render pages. Without it, a scan is refused in one
line that says what to install.

The recognised boxes are laid out as text lines the way pypdf's layout mode
prints a page — indentation and gaps as spaces — so the same line joining and
task-table lifting apply to a scan as to a text PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parser import progress
from parser.errors import ParseError
from parser.layout import Fragment, drop_page_numbers, layout_lines
from parser.limits import MAX_OCR_PAGES, check

_DPI = 200  # enough for 小四 body text; 300 costs twice the time for no gain on plans
_MAX_PIXELS = 5000 * 7000  # one rendered page; a crafted MediaBox must not take GBs

INSTALL_HINT = "pip install 'taskbot[ocr]'"


def available() -> bool:
    try:
        import pypdfium2  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def ocr_pdf_pages(data: bytes, pages: Sequence[int], name: str) -> list[str]:
    """Layout text of each page index in `pages` (0-based), read by OCR."""
    if not pages:
        return []
    if not available():
        raise ParseError(
            f"{name}: {len(pages)} page(s) have no text layer (a scan); "
            f"reading scans needs the OCR extra: {INSTALL_HINT}"
        )
    check(name, "scanned pages to OCR", len(pages), MAX_OCR_PAGES)
    import pypdfium2 as pdfium
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()  # per document: no engine shared between threads
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium's own error type varies by version
        raise ParseError(f"{name}: corrupt PDF, cannot render it ({type(exc).__name__})") from None
    texts: list[str] = []
    try:
        for n, index in enumerate(pages):
            progress.step("OCR", n, len(pages))
            image = _render(pdf, index, name)
            # No angle classifier: scans are upright, and it costs a third of the time.
            result, _elapsed = engine(image, use_cls=False)
            texts.append(boxes_to_text(result or []))
        progress.step("OCR", len(pages), len(pages))
    finally:
        pdf.close()
    return texts


def _render(pdf: Any, index: int, name: str) -> Any:
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = _DPI / 72
        pixels = width * height * scale * scale
        if pixels > _MAX_PIXELS:
            scale *= (_MAX_PIXELS / pixels) ** 0.5
        bitmap = page.render(scale=scale)
        # BGR(A) as OpenCV, which RapidOCR uses, expects it.
        array = bitmap.to_numpy()
        if array.ndim == 3 and array.shape[2] == 4:
            array = array[:, :, :3]
        return array.copy()
    except Exception as exc:
        raise ParseError(
            f"{name}: cannot render page {index + 1} ({type(exc).__name__})"
        ) from None
    finally:
        page.close()


def boxes_to_text(boxes: Sequence[Any]) -> str:
    """RapidOCR's [corners, text, score] boxes -> the page as layout text lines."""
    fragments = []
    for box in boxes:
        xs = [float(pt[0]) for pt in box[0]]
        ys = [float(pt[1]) for pt in box[0]]
        fragments.append(Fragment(min(xs), max(xs), min(ys), max(ys), str(box[1])))
    return "\n".join(drop_page_numbers(layout_lines(fragments)))
