"""The built-in directives and roles, imported explicitly (not as a side effect of another
module's imports)."""


def load_builtin() -> None:
    """Import the built-in directive modules so they register themselves."""
    from generator.directives import aside, cite, figure, unit  # noqa: F401
