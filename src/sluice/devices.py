"""The GPUs of this machine: declared (``--gpus 0,1,2,3``, ``$SLUICE_GPUS``) or detected.

A declaration wins over detection, so a machine without GPUs can declare logical ones (to
try a GPU pipeline's scheduling out, or to test it), and a machine with GPUs can give Sluice
only some of them. Without one, NVIDIA GPUs are detected (``/proc/driver/nvidia/gpus``, else
``nvidia-smi -L``). The devices are named as ``CUDA_VISIBLE_DEVICES`` names them: an index
(``0``) or a UUID (``GPU-8c1f...``).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from sluice.errors import UserInputError

__all__ = ["GPUS_VARIABLE", "MachineGpus", "is_gpu_type", "machine_gpus", "parse_gpus"]

#: The environment variable ``--gpus`` sets (and that a server's worker inherits).
GPUS_VARIABLE = "SLUICE_GPUS"

# What a device name may be: an index, a UUID (GPU-..., MIG-...), as CUDA takes them.
_DEVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


@dataclass(frozen=True)
class MachineGpus:
    """The GPUs Sluice may hand to tasks, and where that list came from (for messages).

    Attributes:
        devices: device names in order (``("0", "1")``); empty: none.
        source: ``"--gpus/$SLUICE_GPUS"`` or ``"detected"``.
    """

    devices: tuple[str, ...]
    source: str

    def describe(self) -> str:
        """``4 GPUs (0,1,2,3, from --gpus/$SLUICE_GPUS)`` or ``no GPUs (detected)``."""
        if not self.devices:
            return f"no GPUs ({self.source})"
        plural = "GPU" if len(self.devices) == 1 else "GPUs"
        return f"{len(self.devices)} {plural} ({','.join(self.devices)}, {self.source})"


def parse_gpus(text: str) -> tuple[str, ...] | None:
    """The devices of a ``--gpus`` value; None for ``all`` / ``auto`` (detect them).

    ``none`` (or an empty value) declares that there are none.

    Raises:
        UserInputError: a name that is not a device index or UUID, or one given twice.
    """
    value = text.strip()
    if value.lower() in ("all", "auto"):
        return None
    if value.lower() in ("", "none", "void"):
        return ()
    devices = tuple(part.strip() for part in value.split(","))
    for device in devices:
        if not _DEVICE_RE.match(device):
            raise UserInputError(
                f"--gpus / ${GPUS_VARIABLE} {text!r}: {device!r} is not a GPU index or UUID; "
                "give a comma-separated list such as 0,1,2,3 (or 'none', or 'all' to detect)"
            )
    if len(set(devices)) != len(devices):
        raise UserInputError(f"--gpus / ${GPUS_VARIABLE} {text!r} names a GPU twice")
    return devices


@functools.cache
def _detected() -> tuple[str, ...]:
    gpus = "/proc/driver/nvidia/gpus"
    if os.path.isdir(gpus):
        return tuple(str(i) for i in range(len(os.listdir(gpus))))
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return ()
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ()
    count = sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))
    return tuple(str(i) for i in range(count))


def machine_gpus(declared: str | None = None) -> MachineGpus:
    """The GPUs of this machine: ``declared``, else ``$SLUICE_GPUS``, else detected.

    Raises:
        UserInputError: the declaration is malformed (see :func:`parse_gpus`).
    """
    text = declared if declared is not None else os.environ.get(GPUS_VARIABLE)
    if text is not None:
        devices = parse_gpus(text)
        if devices is not None:
            return MachineGpus(devices, f"from --gpus/${GPUS_VARIABLE}")
    return MachineGpus(_detected(), "detected")


def is_gpu_type(kind: str | None) -> bool:
    """Whether an accelerator type names a GPU the machine's GPUs can serve.

    A type only known at run time (``None``) may be one. TPUs and other named accelerators
    are not GPUs.
    """
    if kind is None:
        return True
    lowered = kind.lower()
    return (
        "nvidia" in lowered
        or lowered.startswith("tesla")
        or "gpu" in lowered
        or lowered.startswith("amd")
    )


def is_amd_type(kind: str | None) -> bool:
    """Whether an accelerator type names an AMD GPU (ROCm's variables then apply too)."""
    return kind is not None and kind.lower().startswith("amd")
