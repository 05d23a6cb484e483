"""Operator families, one subpackage each (noise, blur, haze, rain, snow, jpeg, lowlight, resize).

Each family has ``functional.py`` (pure numpy functions on HxWx3 float32), ``batch.py`` (torch
functions on NCHW tensors, any device) and ``ops.py`` (registered Operator classes: schema, severity
table, sampling). Importing the family package registers its operators.
"""
