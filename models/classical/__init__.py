"""Classical (weight-free) restoration methods: one module per method, each an ImageRestorer subclass
working on one HxWx3 float32 [0,1] numpy image on the CPU. Shared building blocks: ``guided`` (guided
filter), ``dct`` (sliding-window DCT shrinkage), ``psf`` (blur kernels and FFT deconvolution helpers).
"""
