"""Degradation detection and automatic restoration (AutoDIR's detect -> restore loop).

* :mod:`models.detect.net`: the detector network (a compact CNN; registry entries ``detector-cnn-drops``, the
  default, with a lens-drop map, and ``detector-cnn``, ``family: detector``), trained with ``restorebench train``;
* :mod:`models.detect.detector`: :func:`load_detector` and :class:`Detection` (label probabilities, dominant
  label, severity, noise sigma, JPEG quality);
* :mod:`models.detect.table`: the method table (label -> registry method) and how the default is made;
* :mod:`models.detect.auto`: the ``auto`` registry entry, the detect -> restore loop with its decision log;
* :mod:`models.detect.cli`: ``restorebench detect`` and ``restorebench auto``.
"""

from models.detect.detector import DEFAULT_DETECTOR, Detection, Detector, load_detector

__all__ = ["DEFAULT_DETECTOR", "Detection", "Detector", "load_detector"]
