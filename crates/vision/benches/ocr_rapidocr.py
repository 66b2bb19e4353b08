"""Runs rapidocr-onnxruntime over the benchmark's card images for comparison with heshen.

Usage: python ocr_rapidocr.py DIR  (reads DIR/*.jpg, writes one JSON object per line to stdout)
Each line: {"file": name, "ms": OCR wall time, "cpu_ms": process CPU time (all threads),
"lines": [[[[x, y] x4], text, score], ...]}.
Images are decoded before the clock starts so only OCR is timed, as on the Rust side.
"""
import json
import pathlib
import sys
import time

import cv2
from rapidocr_onnxruntime import RapidOCR


def main() -> None:
    folder = pathlib.Path(sys.argv[1])
    engine = RapidOCR()
    files = sorted(folder.glob("*.jpg"))
    # Warm-up so session initialisation is not billed to the first card.
    if files:
        engine(cv2.imread(str(files[0])))
    for path in files:
        image = cv2.imread(str(path))
        start = time.perf_counter()
        cpu_start = time.process_time()
        result, _ = engine(image)
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        cpu_ms = (time.process_time() - cpu_start) * 1000.0
        lines = [
            [[[float(x), float(y)] for x, y in box], text, float(score)]
            for box, text, score in (result or [])
        ]
        record = {"file": path.name, "ms": elapsed_ms, "cpu_ms": cpu_ms, "lines": lines}
        print(json.dumps(record, ensure_ascii=False))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
