"""Refuse a pickle whose memo indices would make Python's unpickler allocate gigabytes."""

import pickle
import pickletools

_MEMO_PUTS = ("PUT", "BINPUT", "LONG_BINPUT")  # opcodes that store at an index they name


def check_memo_indices(file):
    """Read the pickle's opcodes without running them; refuse a memo index out of reach.

    PUT opcodes store the top of the stack in the memo at an index the file gives. Python's
    unpickler keeps the memo as an array as long as the largest index, so one opcode with
    the index 4,000,000,000 would make it allocate 32 GB. A pickle stores at most one value
    per opcode, so no honest index exceeds the count of opcodes before it.

    Args:
        file: a binary file positioned at the pickle; left where it was.

    Raises:
        pickle.UnpicklingError: the pickle is corrupt, truncated, or has such an index.
    """
    start = file.tell()
    try:
        puts = [
            (count, argument)
            for count, (opcode, argument, _) in enumerate(pickletools.genops(file))
            if opcode.name in _MEMO_PUTS
        ]
    # an unknown opcode (ValueError), an early end, a length too large to read
    except (ValueError, EOFError, MemoryError, OverflowError) as error:
        raise pickle.UnpicklingError(f"corrupt or truncated pickle ({error})") from None
    finally:
        file.seek(start)
    for count, index in puts:
        if index > count:
            raise pickle.UnpicklingError(
                f"corrupt pickle: opcode {count} stores to memo index {index}"
            )
