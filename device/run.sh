#!/usr/bin/env bash
# The GPU benchmark kit's one command (issue 13; built by `npm run device:pack` into device/kit/, this file copied
# in). On a bare Linux x86-64 box with an NVIDIA GPU, CUDA and Python + PyTorch, no Node, no network:
#   (a) our engine (node engine.mjs bench): ResNet-20/56/110, plain-20/56, training at batch 128 and 512,
#       inference at 512, images/s, ms/step, per-kernel GPU timestamps where the adapter has them
#   (a') the autotuner (bench --autotune): ResNet-20 and -56 at batch 128, tuned per layer on this GPU against
#       both fixed profiles, every candidate's time per layer
#   (b) the same networks in PyTorch eager fp32 on CUDA (torch_bench.py, the app's own PyTorch export), then
#       torch.compile when it compiles within a minute
#   (c) TF.js WebGPU and jax-js under Dawn on the same GPU (bench/peers' code, same weights and data)
#   (d) a short accuracy run: plain-20, ResNet-20, plain-56, ResNet-56 for a fixed number of steps on the
#       kit's CIFAR-10 slice, training error per step
# Results: JSON lines, the logs and report.md (a Markdown table) in $OUT, else ./out. The whole run is held to
# about 7.5 minutes (each part has its own cap, in the order a, a', b, d, c, then torch.compile; a part cut short
# keeps what it wrote; a late part gets what is left of the budget).
#   run.sh --quick   the same end to end at tiny sizes (batch 4-8, 2 steps, depth 8/14) and, without an NVIDIA
#                    driver, on Chromium's SwiftShader: proves the kit on a machine without a GPU.
# Environment: OUT, PYTHON (a python3 with torch), KIT_WORK (where node, Dawn and the Vulkan loader are
# unpacked; default a fresh temporary folder), KIT_ADAPTER=swiftshader (force SwiftShader).
set -uo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QUICK=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$PWD/out}"
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
WORK="${KIT_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/gpukit.XXXXXX")}"
mkdir -p "$WORK"
LOG="$OUT/run.log"
: >"$LOG"
say() { echo "[run.sh +$((SECONDS))s] $*" | tee -a "$LOG" >&2; }
BUDGET=${KIT_BUDGET:-460}
left() { echo $((BUDGET - SECONDS)); }
# cap N: N seconds, or what is left of the whole run's budget when that is less (at least 5).
cap() { local l; l=$(left); ((l < $1)) && echo $((l > 5 ? l : 5)) || echo "$1"; }

# --- Python: one that imports torch (pyenv's python3 on PATH may lack it), else any, for unpacking and the report.
PY="" PY_ANY=""
for c in "${PYTHON:-}" python3 /usr/bin/python3 python3.12 python; do
  [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
  [ -z "$PY_ANY" ] && PY_ANY="$c"
  if "$c" -c 'import torch' >/dev/null 2>&1; then PY="$c"; break; fi
done
PYX="${PY:-$PY_ANY}"
[ -n "$PYX" ] || { say "no python3 on this machine: it is needed to unpack node (lzma)"; exit 1; }
say "python: ${PY:-none with torch} (unpacking with $PYX)"

# --- Node, Dawn and the Vulkan loader, unpacked from the kit into $WORK.
unxz() { "$PYX" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$1" "$2"; }
mkdir -p "$WORK/bin" "$WORK/vulkan"
unxz "$KIT/node.xz" "$WORK/bin/node" && chmod +x "$WORK/bin/node" || { say "could not unpack node"; exit 1; }
rm -rf "$WORK/engine" && cp -r "$KIT/engine" "$WORK/engine"
mkdir -p "$WORK/engine/node_modules/webgpu/dist/linux-x64"
unxz "$KIT/dawn.node.xz" "$WORK/engine/node_modules/webgpu/dist/linux-x64/dawn.node" || { say "could not unpack dawn.node"; exit 1; }
DEB="$(ls "$KIT"/libvulkan1_*_amd64.deb | head -n1)"
if command -v dpkg >/dev/null 2>&1; then
  dpkg -x "$DEB" "$WORK/vulkan"
else # a .deb is an ar archive holding data.tar.{xz,gz,zst}; Python reads ar and tar.xz/gz
  "$PYX" - "$DEB" "$WORK/vulkan" <<'EOF'
import io, sys, tarfile
raw = open(sys.argv[1], 'rb').read()
assert raw[:8] == b'!<arch>\n', 'not an ar archive'
off = 8
while off < len(raw):
    name, size = raw[off:off + 16].decode().strip().rstrip('/'), int(raw[off + 48:off + 58])
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(raw[off + 60:off + 60 + size])).extractall(sys.argv[2])
    off += 60 + size + (size & 1)
EOF
fi
VKSO="$(find "$WORK/vulkan" -name 'libvulkan.so.1' | head -n1)"
[ -n "$VKSO" ] || { say "no libvulkan.so.1 in $DEB"; exit 1; }
export LD_LIBRARY_PATH="$(dirname "$VKSO")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
NODE="$WORK/bin/node"
ENGINE="$WORK/engine/engine.mjs"
say "node $("$NODE" --version), Vulkan loader $(basename "$(readlink -f "$VKSO")") from the kit"

# --- The Vulkan driver: NVIDIA's ICD; SwiftShader only without one (or when asked), which --quick is for.
NV_ICD=""
for f in "${NVIDIA_ICD:-}" /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
  [ -n "$f" ] && [ -f "$f" ] && { NV_ICD="$f"; break; }
done
SWIFT=/usr/lib/chromium/vk_swiftshader_icd.json
if [ -n "$NV_ICD" ] && [ "${KIT_ADAPTER:-}" != swiftshader ]; then
  export VK_DRIVER_FILES="$NV_ICD" VK_ICD_FILENAMES="$NV_ICD"
elif [ -f "$SWIFT" ]; then
  export VK_DRIVER_FILES="$SWIFT" VK_ICD_FILENAMES="$SWIFT"
  ((QUICK)) || say "warning: no NVIDIA Vulkan driver found; SwiftShader (CPU) is far too slow for the full run: use --quick"
else
  say "warning: no NVIDIA ICD and no SwiftShader; Dawn will try the loader's default drivers"
fi
export RESNET_PLAYGROUND_VULKAN_ENV=1 # the engine keeps this environment (no switch to Chromium's loader)
say "Vulkan driver: ${VK_DRIVER_FILES:-loader default}"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm)"
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /'
  echo "vulkan: ${VK_DRIVER_FILES:-default}"
  echo "quick: $QUICK"
} >"$OUT/env.txt"

# --- (a) our engine.
if ((QUICK)); then
  MODELS="resnet8 plain14" BATCHES=4 INFER=8 STEPS=2 WARM=1 PER_MODEL=150
else
  MODELS="resnet20 plain20 resnet56 plain56 resnet110" BATCHES=128,512 INFER=512 STEPS=5 WARM=2 PER_MODEL=35
fi
: >"$OUT/engine.jsonl"
for m in $MODELS; do
  t=$(cap $PER_MODEL)
  say "(a) engine bench $m, batch $BATCHES, inference $INFER (cap ${t}s)"
  timeout -k 5 "$t" "$NODE" "$ENGINE" bench --models "$m" --batch "$BATCHES" --infer "$INFER" --steps "$STEPS" --warmup "$WARM" >>"$OUT/engine.jsonl" 2>>"$LOG" ||
    say "(a) $m: exit $? (124: cut at ${t}s)"
done

# --- (a') the autotuner: per-layer choices timed on this GPU against both fixed profiles, side by side.
if ((QUICK)); then TMODELS=resnet8 TBATCH=4 TSTEPS=2 TCAP=150; else TMODELS=resnet20,resnet56 TBATCH=128 TSTEPS=5 TCAP=70; fi
t=$(cap $TCAP)
say "(a') autotune $TMODELS at batch $TBATCH (cap ${t}s)"
timeout -k 5 "$t" "$NODE" "$ENGINE" bench --autotune --layers --models "$TMODELS" --batch "$TBATCH" --steps "$TSTEPS" --warmup 1 >"$OUT/autotune.jsonl" 2>>"$LOG" ||
  say "(a') autotune: exit $? (124: cut at ${t}s)"

# --- (b) PyTorch: eager, then torch.compile.
: >"$OUT/torch.jsonl"
if [ -n "$PY" ]; then
  if ((QUICK)); then TQ=(--quick --device cpu); else TQ=(); fi
  t=$(cap 80)
  say "(b) PyTorch eager (cap ${t}s)"
  timeout -k 5 "$t" "$PY" "$KIT/torch_bench.py" "${TQ[@]}" --out "$OUT/torch.jsonl" >>"$LOG" 2>&1 || say "(b) eager: exit $?"
else
  say "(b) skipped: no python3 with torch on this machine"
fi

# --- (d) the short accuracy run on the slice.
if ((QUICK)); then
  NETS="plain-8 resnet-8 plain-14 resnet-14" ABATCH=8 ASTEPS=2 PER_NET=150 EVAL=100
else
  NETS="plain-20 resnet-20 plain-56 resnet-56" ABATCH=128 ASTEPS=200 PER_NET=45 EVAL=0
fi
mkdir -p "$OUT/accuracy"
: >"$OUT/accuracy.jsonl"
for n in $NETS; do
  arch=${n%-*} depth=${n#*-}
  [ "$arch" = resnet ] && arch=residual
  t=$(cap $PER_NET)
  say "(d) train $n: $ASTEPS steps at batch $ABATCH, constant lr 0.1 (cap ${t}s)"
  timeout -k 5 "$t" "$NODE" "$ENGINE" train --arch "$arch" --depth "$depth" --steps "$ASTEPS" --batch "$ABATCH" --schedule constant --eval-images "$EVAL" \
    --data "$KIT/cifar10-slice.tar.gz" --out "$OUT/accuracy" --name "$n" --no-progress >>"$OUT/accuracy.jsonl" 2>>"$LOG" ||
    say "(d) $n: exit $? (124: cut at ${t}s)"
done

# --- (c) the peers under Dawn: TF.js WebGPU and jax-js, the comparison page's code, same weights and data.
if ((QUICK)); then PQ=(--models resnet8 --batch 4 --infer 8 --steps 1 --warmup 1 --seconds 100) PCAP=200; else PQ=(--models resnet20,plain20 --batch 128 --infer 512 --steps 5 --warmup 2 --seconds 25) PCAP=90; fi
: >"$OUT/peers.jsonl"
t=$(cap $PCAP)
say "(c) TF.js WebGPU and jax-js on Dawn (cap ${t}s)"
timeout -k 5 "$t" "$NODE" "$WORK/engine/peers.mjs" "${PQ[@]}" >>"$OUT/peers.jsonl" 2>>"$LOG" || say "(c) peers: exit $? (124: cut at ${t}s)"

# --- (b') torch.compile, last: optional, and slow to compile.
if [ -n "$PY" ] && ((!QUICK)) && (($(left) > 30)); then
  t=$(cap 90)
  say "(b') torch.compile (cap ${t}s; compile time reported)"
  timeout -k 5 "$t" "$PY" "$KIT/torch_bench.py" --compile --compile-budget 60 --out "$OUT/torch.jsonl" >>"$LOG" 2>&1 || say "(b') compile: exit $?"
fi

say "report"
"$PYX" "$KIT/report.py" "$OUT" && cat "$OUT/report.md"
say "done in ${SECONDS}s; results in $OUT"
