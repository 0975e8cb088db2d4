"""The one line a subcommand prints for a user's error instead of a traceback."""


def one_line_error(command, error):
    """`tinycnn <command>: <message>`, the message on one line.

    Messages from tinycnn's own checks often start with the op that raised them (e.g.
    "predict: --topk must be ..."); when that op is the command itself it is not repeated:
    "tinycnn predict: --topk must be ...", not "tinycnn predict: predict: --topk ...".

    Example:
        >>> one_line_error("predict", ValueError("predict: --topk must be in [1, 1000], got 0"))
        'tinycnn predict: --topk must be in [1, 1000], got 0'
    """
    message = " ".join(str(error).split("\n"))
    return f"tinycnn {command}: {message.removeprefix(command + ': ')}"
