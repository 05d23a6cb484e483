#!/usr/bin/env bash
# Every CUDA check and GPU measurement in one run, for a machine with a GPU: the CUDA tests (results equal
# the CPU's), the torch batch path beside kornia (batch 64, 512x512), the metrics beside pyiqa (256 pairs of
# 512x512, FID features over 4096 images) and the detector. Tables go to stdout and to OUT_DIR/*.txt.
#
#     bash benchmarks/gpu_checks.sh [OUT_DIR]      # PYTHON=... INCEPTION=copy-of-the-TF-FID-file optional
set -u
out=${1:-gpu-results}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
"$py" -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$out/device.txt"
"$py" -m pytest -q -p no:cacheprovider -m gpu tests/ops_a/test_cuda.py tests/ops_b/test_rain_snow.py \
    tests/metrics/test_pixel.py tests/metrics/test_learned.py 2>&1 | tee "$out/tests.txt"
"$py" benchmarks/bench_degrade.py --skip-cpu --device cuda --batch 64 --size 512 2>&1 | tee "$out/degrade.txt"
"$py" benchmarks/bench_detect.py --device cuda --batch 64 2>&1 | tee "$out/detect.txt"
"$py" benchmarks/bench_metrics.py --device cuda --pairs 256 --batch-size 64 --fid-images 4096 \
    ${INCEPTION:+--inception "$INCEPTION"} 2>&1 | tee "$out/metrics.txt"
