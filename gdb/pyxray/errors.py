"""pyxray's exceptions, and the one table from the engine's error codes to
them (include/pyxray.h, enum pyx_error_code)."""

__all__ = ["Error", "FaultError", "SystemCallError", "UsageError"]


class Error(Exception):
    """An error from pyxray: one line saying what happened and what to do.

    .code is a short stable name: "not-python", "fault", "no-debug-info",
    "unsupported-version", "bad-core", "limit", "interrupted" ... (the
    engine's pyx_error_code_name(), or "usage" for bad arguments)."""

    def __init__(self, message, code="error"):
        super().__init__(message)
        self.code = code

    @property
    def message(self):
        return str(self)


class FaultError(Error):
    """Target memory at .address could not be read (or does not hold an
    object)."""

    def __init__(self, message, code="fault", address=0):
        super().__init__(message, code)
        self.address = address


class SystemCallError(Error, OSError):
    """A system call failed (reading a process, opening a core): an
    OSError, with .errno."""

    def __init__(self, errnum, message, code="os"):
        OSError.__init__(self, errnum, message)
        self.code = code

    def __str__(self):
        return self.strerror


class UsageError(Error):
    """Bad arguments to a command: what was wrong, in one line."""

    def __init__(self, message):
        super().__init__(message, "usage")


# The engine's code names (pyx_error_code_name) to classes; every other
# code is a plain Error.
CLASSES = {
    "fault": FaultError,
    "invalid-object": FaultError,
    "os": SystemCallError,
    "permission": SystemCallError,
}
