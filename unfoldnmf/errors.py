"""Exceptions that the command line turns into one clear line and a non-zero exit."""


class UnfoldNMFError(Exception):
    """Base class of the errors this package raises on purpose."""

    exit_code = 1


class InputError(UnfoldNMFError):
    """A file, option or config the user gave is unusable; the message says where and why."""

    exit_code = 2


class NumericalError(UnfoldNMFError):
    """A computation produced NaN/inf or could not proceed; the message names the step."""

    exit_code = 3


class OutputError(UnfoldNMFError):
    """Results could not be written (disk full, permissions); the message names the file."""

    exit_code = 1


class MissingDependencyError(UnfoldNMFError):
    """An optional extra is not installed; the message says how to install it."""

    exit_code = 1
