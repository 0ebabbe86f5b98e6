"""The compiled core of middleware (Rust). Use the ``middleware`` package instead."""

__all__ = ["__version__", "run_cli"]

__version__: str

def run_cli(argv: list[str]) -> int:
    """Run the ``middleware`` command line with ``argv`` (program name first).

    Returns the exit code: 0 ok, 1 error, 2 usage, 3 access denied, 4 timeout.
    """
