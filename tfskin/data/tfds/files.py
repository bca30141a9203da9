"""Find release files inside a manual-download folder, whether users kept the zips or extracted them.

``ManualTree(root)`` indexes every file under ``root`` recursively, and every member of every ``*.zip`` in it, by
its path components; a zip contributes its stem as an extra folder, so ``X.zip!X/ISIC_1.jpg`` and an extracted
``X/ISIC_1.jpg`` are both found by "a file named ISIC_1.jpg under a folder named X". Hidden files, AppleDouble
``._*`` files and ``__MACOSX`` folders are ignored. Only the zips a config reads are opened (``archives``, a
pattern of zip stems; see ``catalog.ARCHIVES``): another release's zip, even a broken or half-downloaded one,
is never touched. Archives that cannot be read here (``.rar``, ``.7z``, tarballs) are listed, so a missing file
can be explained by an archive still to extract. Files are found by pattern (never "every file": the official
zips also hold ATTRIBUTION.txt and LICENSE.txt).
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import zipfile
from typing import Iterable, Optional, Pattern, Union

from tfskin.data.tfds.common import BadInputError, MissingInputError

_ZIP_CACHE: dict = {}
UNREAD_ARCHIVES = (".rar", ".7z", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


@dataclasses.dataclass(frozen=True, order=True)
class FileRef:
    """A file on disk, or a member of a zip on disk (picklable, so worker processes can open it)."""

    path: str
    member: Optional[str] = None

    @property
    def name(self) -> str:
        return (self.member or self.path).replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0]

    def __str__(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path

    def read_bytes(self) -> bytes:
        try:
            if self.member is None:
                with open(self.path, "rb") as f:
                    return f.read()
            return _open_zip(self.path).read(self.member)
        except (OSError, KeyError, zipfile.BadZipFile) as err:
            raise BadInputError(str(self), f"cannot read file ({err})") from None

    def open(self):
        return io.BytesIO(self.read_bytes())

    def stream(self):
        """A binary file object reading lazily (for header checks); BadInputError when it cannot be opened."""
        try:
            if self.member is None:
                return open(self.path, "rb")
            return _open_zip(self.path).open(self.member)
        except (OSError, KeyError, zipfile.BadZipFile) as err:
            raise BadInputError(str(self), f"cannot read file ({err})") from None

    def tail(self, size: int) -> Optional[bytes]:
        """The last ``size`` bytes of a file on disk (None for zip members: reading them means inflating all)."""
        if self.member is not None:
            return None
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - size))
                return f.read()
        except OSError as err:
            raise BadInputError(str(self), f"cannot read file ({err})") from None


def _open_zip(path: str) -> zipfile.ZipFile:
    archive = _ZIP_CACHE.get(path)
    if archive is None:
        if len(_ZIP_CACHE) > 16:
            for old in _ZIP_CACHE.values():
                old.close()
            _ZIP_CACHE.clear()
        archive = _ZIP_CACHE[path] = zipfile.ZipFile(path)
    return archive


def _ignored(part: str) -> bool:
    return part.startswith(".") or part == "__MACOSX"


Matcher = Union[str, Pattern, None]


def _compile(pattern: Matcher) -> Optional[Pattern]:
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    return re.compile(pattern)


class ManualTree:
    """Index of the files under a manual-download folder (and inside the zips it needs).

    ``archives``: a pattern (full match) of the zip stems to open; None opens every zip, skipping unreadable
    ones with a note in ``notes`` (a needed zip that cannot be read is a BadInputError naming it).
    """

    def __init__(self, root, archives=None):
        self.root = os.fspath(root)
        if not os.path.isdir(self.root):
            raise MissingInputError(f"manual download folder {self.root} does not exist")
        archives = _compile(archives)
        self.entries: list = []  # (path components relative to root, FileRef, from_zip)
        self.ignored_zips: list = []  # zips not opened: not this config's archives
        self.unread_archives: list = []  # .rar / .7z / tar archives: never read, maybe still to extract
        self.notes: list = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
            rel = os.path.relpath(dirpath, self.root)
            parts = () if rel == "." else tuple(rel.split(os.sep))
            for name in sorted(filenames):
                if _ignored(name):
                    continue
                full = os.path.join(dirpath, name)
                lower = name.lower()
                if lower.endswith(".zip"):
                    if archives is not None and not archives.fullmatch(name[:-4]):
                        self.ignored_zips.append(full)
                    else:
                        self._index_zip(full, parts + (name[:-4],), required=archives is not None)
                    continue
                if lower.endswith(UNREAD_ARCHIVES):
                    self.unread_archives.append(full)
                self.entries.append((parts + (name,), FileRef(full), False))

    def _index_zip(self, path: str, prefix: tuple, required: bool):
        try:
            names = _open_zip(path).namelist()
        except (OSError, zipfile.BadZipFile) as err:
            if required:
                raise BadInputError(path, f"not a readable zip archive ({err}); it is one of this dataset's "
                                          f"archives: download it again (or extract it in the manual folder)") \
                    from None
            self.notes.append(f"{path}: not a readable zip archive ({err}); skipped")
            return
        for member in sorted(names):
            if member.endswith("/"):
                continue
            parts = tuple(p for p in member.replace("\\", "/").split("/") if p)
            if any(_ignored(p) for p in parts):
                continue
            self.entries.append((prefix + parts, FileRef(path, member), True))

    def hint(self) -> str:
        """Why an expected file may be missing: archives found but not read (to extract), zips not opened."""
        out = ""
        if self.unread_archives:
            names = ", ".join(os.path.basename(p) for p in self.unread_archives[:3])
            out += (f"; found {names} but RAR/7z/tar archives are not read: extract them into the manual folder "
                    f"(e.g. `unrar x FILE`, `7z x FILE` or `tar xf FILE`)")
        if self.ignored_zips:
            names = ", ".join(os.path.basename(p) for p in self.ignored_zips[:3])
            more = f" and {len(self.ignored_zips) - 3} more" if len(self.ignored_zips) > 3 else ""
            out += f"; zips not opened (their names are not this dataset's archives): {names}{more}"
        return out

    def find(self, file: Matcher, folder: Matcher = None) -> dict:
        """{file name: FileRef} of files whose name fully matches ``file`` and that lie under a folder whose name
        fully matches ``folder`` (any ancestor; None = anywhere). An extracted file wins over the same file in a
        zip; two extracted (or two zipped) files with one name are an error."""
        file_re, folder_re = _compile(file), _compile(folder)
        found: dict = {}
        for parts, ref, from_zip in self.entries:
            name = parts[-1]
            if not file_re.fullmatch(name):
                continue
            if folder_re is not None and not any(folder_re.fullmatch(p) for p in parts[:-1]):
                continue
            previous = found.get(name)
            if previous is None:
                found[name] = (ref, from_zip)
            elif previous[1] and not from_zip:
                found[name] = (ref, from_zip)
            elif previous[1] == from_zip:
                raise BadInputError(str(ref), f"{name} is also at {previous[0]}; keep one copy in the manual folder")
        return {name: ref for name, (ref, _) in sorted(found.items())}

    def find_one(self, file: Matcher, folder: Matcher = None, *, required: bool = True,
                 expected: str = None) -> Optional[FileRef]:
        """The single file matching ``file`` (see ``find``); None or FileNotFoundError when absent."""
        found = self.find(file, folder)
        if len(found) > 1:
            where = ", ".join(map(str, found.values()))
            raise BadInputError(self.root, f"several files match {expected or file}: {where}")
        if not found:
            if required:
                raise MissingInputError(f"{self.root}: no file {expected or _describe(file)}"
                                        f"{' under a folder ' + _describe(folder) if folder else ''} (searched "
                                        f"recursively, zips included){self.hint()}")
            return None
        return next(iter(found.values()))

    def has_folder(self, folder: Matcher) -> bool:
        """Whether some indexed file lies under a folder fully matching ``folder``."""
        folder_re = _compile(folder)
        return any(any(folder_re.fullmatch(p) for p in parts[:-1]) for parts, _, _ in self.entries)

    def under(self, prefix: Iterable[str]) -> dict:
        """{path relative to ``prefix`` (with '/'): FileRef} of the files below the component path ``prefix``."""
        prefix = tuple(prefix)
        out = {}
        for parts, ref, from_zip in self.entries:
            if parts[:len(prefix)] == prefix and len(parts) > len(prefix):
                rel = "/".join(parts[len(prefix):])
                if rel not in out or not from_zip:
                    out[rel] = ref
        return out

    def locate(self, file: Matcher, folder: Matcher = None) -> list:
        """[(path components, FileRef)] of matching files (for layouts located by a marker file)."""
        file_re, folder_re = _compile(file), _compile(folder)
        return [(parts, ref) for parts, ref, _ in self.entries
                if file_re.fullmatch(parts[-1]) and (folder_re is None or any(folder_re.fullmatch(p)
                                                                               for p in parts[:-1]))]


def _describe(pattern: Matcher) -> str:
    text = pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)
    return text.replace("\\.", ".").replace("\\d{7}", "<7 digits>")
