"""Restoration architectures written from their papers, one subpackage each.

Every subpackage exposes a factory (``factory(**args) -> torch.nn.Module``, the registry's ``adapter``) whose
module maps ``forward(x: Tensor[N,C,H,W] in [0,1], **cond) -> Tensor[N,C,H,W]`` and keeps the official
checkpoint's parameter names, so ``load_state_dict(strict=True)`` works on the released files; and, where the
hyper-parameters can be read off a checkpoint, ``detect(state_dict) -> dict`` giving the factory's arguments
(spandrel's idea). Architectures that spandrel already implements are built by ``models.spandrel_adapter``.
"""
