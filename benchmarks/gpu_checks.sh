#!/usr/bin/env bash
# Every CUDA check and GPU measurement in one run, for a machine with a GPU: the CUDA tests (results equal
# the CPU's), the torch batch path beside kornia (batch 64, 512x512), the detector, the metrics beside
# pyiqa (256 pairs of 512x512, FID features over 4096 images) and where the batch time goes (profile).
# Tables go to stdout and to OUT_DIR/<section>.txt.
#
#     bash benchmarks/gpu_checks.sh [OUT_DIR] [SECTION ...]   # sections: tests degrade detect metrics profile
#     PYTHON=... (default python3); INCEPTION=another copy of the TF-FID file (optional)
set -u
out=${1:-gpu-results}
shift || true
sections=${*:-tests degrade detect metrics profile}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
"$py" -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$out/device.txt"
for section in $sections; do
  case $section in
    tests) "$py" -m pytest -q -p no:cacheprovider -m gpu tests/ops_a/test_cuda.py tests/ops_b/test_rain_snow.py \
             tests/metrics/test_pixel.py tests/metrics/test_learned.py ;;
    degrade) "$py" benchmarks/bench_degrade.py --skip-cpu --device cuda --batch 64 --size 512 ;;
    detect) "$py" benchmarks/bench_detect.py --device cuda --batch 64 ;;
    metrics) "$py" benchmarks/bench_metrics.py --device cuda --pairs 256 --batch-size 64 --fid-images 4096 \
               ${INCEPTION:+--inception "$INCEPTION"} ;;
    profile) "$py" benchmarks/profile_batch.py --device cuda --batch 64 --size 512 ;;
    *) echo "unknown section $section" >&2; exit 2 ;;
  esac 2>&1 | tee "$out/$section.txt"
done
