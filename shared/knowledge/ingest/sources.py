"""The files an `izana ingest` argument names.

A document is known by its file name, wherever it lies: ingesting `guide.md` again, from any
folder, replaces the earlier `guide.md`; `--delete guide.md` removes it. A folder contributes
only the files that really lie in it: a symbolic link to a file outside it is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Files a directory contributes; a file named explicitly is read whatever its name.
KNOWN_SUFFIXES = frozenset({".pdf", ".md", ".markdown", ".txt", ".jsonl"})
# A directory's README, LICENSE or NOTICE describes the files beside it; it is not knowledge.
ABOUT_FILES = frozenset({"readme", "license", "licence", "notice"})


@dataclass(frozen=True)
class SourceFile:
    path: Path
    duplicate: bool = False  # another file of this run has the same name

    @property
    def key(self) -> str:
        return self.path.name


def _is_knowledge(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in KNOWN_SUFFIXES
        and path.stem.lower() not in ABOUT_FILES
    )


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, its links followed, lies in `folder`: a link in an allowed folder must
    not bring in a file from elsewhere (the API checked the folder against INGEST_ROOTS)."""
    return path.resolve().is_relative_to(folder.resolve())


def _paths(arguments: Sequence[Path]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            paths.extend(
                path
                for path in sorted(argument.rglob("*"))
                if _is_knowledge(path) and _inside(path, argument)
            )
        else:
            paths.append(argument)  # a missing file is kept, to be reported
    return paths


def source_files(arguments: Sequence[Path]) -> list[SourceFile]:
    """Every file named or found under a named directory, in order."""
    seen: set[str] = set()
    files = []
    for path in _paths(arguments):
        files.append(SourceFile(path, duplicate=path.name in seen))
        seen.add(path.name)
    return files
