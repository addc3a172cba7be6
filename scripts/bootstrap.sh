#!/usr/bin/env bash
# Set up .venv for auditkit: a CPU build of torch on a machine without a GPU (no CUDA
# download), then auditkit itself in editable mode.
#
#   bash scripts/bootstrap.sh          # auditkit and its dependencies
#   bash scripts/bootstrap.sh --test   # ... plus the test tools (pytest, mypy, ruff, ...)
#
# Environment:
#   AUDITKIT_TORCH=auto|cpu|cuda   auto (default): CUDA build if nvidia-smi finds a GPU,
#                                  else the CPU build; cpu/cuda force one.
#   AUDITKIT_TORCH_VERSION=2.13.0  the CPU build to look for first.
#   PYTHON=python3.11              the interpreter for the virtual environment.
# A torch already present in .venv is kept, whichever build it is.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  want=${AUDITKIT_TORCH:-auto}
  if [ "$want" = auto ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then want=cuda; else want=cpu; fi
  fi
  if [ "$want" = cuda ]; then
    echo "bootstrap: installing torch with CUDA (several GB)"
    pip install torch
  else
    version=${AUDITKIT_TORCH_VERSION:-2.13.0}
    echo "bootstrap: installing a CPU build of torch (no CUDA download)"
    # A local CPU wheel (a wheel cache or find-links folder) wins; otherwise PyTorch's
    # own CPU index, which holds CPU-only builds and their dependencies.
    pip install "torch==${version}+cpu" 2>/dev/null \
      || pip install torch --index-url https://download.pytorch.org/whl/cpu
  fi
fi

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

# The report tests need system packages: Debian's chromium (the HTML in a real browser),
# poppler-utils (pdftotext, pdfinfo, pdftoppm), and Pango, HarfBuzz and fonts for
# WeasyPrint's PDFs. Installed only as root, only what is missing, with one apt-get update.
if [ -n "$extras" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  ldconfig -p | grep -q libpangoft2-1.0.so.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
  ldconfig -p | grep -q libharfbuzz-subset.so.0 || need+=(libharfbuzz-subset0)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "bootstrap: installing system packages for the report tests: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
echo "bootstrap: installing auditkit${extras} (editable)"
pip install -e ".${extras}"
.venv/bin/python -c "import torch, auditkit; print(f'bootstrap: ready (torch {torch.__version__}, CUDA available: {torch.cuda.is_available()})')"
