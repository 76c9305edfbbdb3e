"""Error classes raised by Session.run and graph construction, as TensorFlow 1 names them."""
from __future__ import annotations


class OpError(Exception):
    """An error raised while running an operation; `op` and `node_def` name it."""

    error_code = 2

    def __init__(self, node_def, op, message: str):
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        if self.op is not None:
            return f"{self.message}\n\t [[node {self.op.name} (type {self.op.type})]]"
        return self.message


def _error(name: str, code: int) -> type:
    return type(name, (OpError,), {"error_code": code, "__doc__": f"TensorFlow's {name}."})


CancelledError = _error("CancelledError", 1)
UnknownError = _error("UnknownError", 2)
InvalidArgumentError = _error("InvalidArgumentError", 3)
DeadlineExceededError = _error("DeadlineExceededError", 4)
NotFoundError = _error("NotFoundError", 5)
AlreadyExistsError = _error("AlreadyExistsError", 6)
PermissionDeniedError = _error("PermissionDeniedError", 7)
ResourceExhaustedError = _error("ResourceExhaustedError", 8)
FailedPreconditionError = _error("FailedPreconditionError", 9)
AbortedError = _error("AbortedError", 10)
OutOfRangeError = _error("OutOfRangeError", 11)
UnimplementedError = _error("UnimplementedError", 12)
InternalError = _error("InternalError", 13)
UnavailableError = _error("UnavailableError", 14)
DataLossError = _error("DataLossError", 15)
UnauthenticatedError = _error("UnauthenticatedError", 16)
