"""Errors the user can act on: the CLI prints one line, the console shows the message."""


class CliError(Exception):
    """An error the user can act on: printed as one line, never with a traceback."""

    exit_code = 1


class NotFound(CliError):
    pass


class UsageError(CliError):
    exit_code = 2
