"""Exception types. Every message is one line that names the thing at fault and what to do."""


class RestoreBenchError(Exception):
    """Base class of all restorebench errors."""


class InputError(RestoreBenchError, ValueError):
    """Bad user input: an image, a file, a parameter, a name."""


class WeightsUnavailable(RestoreBenchError, FileNotFoundError):
    """A weight file is missing and cannot be downloaded; the message says where to put it."""


class ChecksumMismatch(RestoreBenchError, ValueError):
    """A file's sha256 differs from the one recorded for it."""


class DiskFull(RestoreBenchError):
    """A write failed because the disk (or quota) is full; the message names the file."""
