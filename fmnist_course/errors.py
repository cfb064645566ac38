"""Errors that a user of the course can fix: the command line shows them in one line.

The library raises a `UserError` (or a subclass such as `DataError`) when what
it was given, a file, a name or an option, is not what it expects, with a
message that says what it received, what it expected and how to fix it. The
command line `fmnist-course` prints such an error as one line starting with
`error:`; any other exception is a bug and keeps its traceback.

`UserError` is a `ValueError`, so code that catches `ValueError` keeps working.

Examples:
    >>> raise UserError("Expected --epochs >= 1. Received: 0")
    Traceback (most recent call last):
    ...
    fmnist_course.errors.UserError: Expected --epochs >= 1. Received: 0
    >>> issubclass(MissingExtraError, UserError)
    True

"""

from __future__ import annotations


class UserError(ValueError):
    """Something a user gave (a file, a name, an option) is not what is expected."""


class MissingExtraError(UserError):
    """A command needs an optional dependency that is not installed."""


def missing_extra_message(command: str, module: str | None, extra: str) -> str:
    """The one-line message for a command whose optional dependency is missing.

    Args:
        command: The `fmnist-course` subcommand, e.g. `"site"`.
        module: The module that failed to import, e.g. `"mkdocs"`.
        extra: The extra of `fmnist-course` that provides it, e.g. `"docs"`.

    Examples:
        >>> missing_extra_message("site", "mkdocs", "docs")
        "`fmnist-course site` needs 'mkdocs', which is not installed. Install the course with its 'docs' extra: pip install 'fmnist-course[docs]'"

    """  # noqa: E501
    return (
        f"`fmnist-course {command}` needs {module!r}, which is not installed. "
        f"Install the course with its {extra!r} extra: "
        f"pip install 'fmnist-course[{extra}]'"
    )
