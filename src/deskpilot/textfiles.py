"""Reading the text files people hand DeskPilot (tickets, labelled data, eval pairs): UTF-8
(a BOM is fine), with a problem that names the line when it is not."""

from __future__ import annotations

from pathlib import Path


class UnreadableText(Exception):
    """Why a file could not be read as text; callers wrap it in their own error."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


def read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableText("no such file") from None
    except IsADirectoryError:
        raise UnreadableText("is a folder, not a file") from None
    except OSError as error:
        raise UnreadableText(f"cannot read the file ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableText(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "re-save the file as UTF-8",
            line,
        ) from None
