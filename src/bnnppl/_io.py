"""Files are written whole or not at all; run folders are never reused, and nothing bnnppl did not
write is ever deleted or replaced.

A file is written to a hidden ``.{name}.{pid}-{hex}.tmp`` beside it, fsynced and renamed into
place. A run folder is filled under a hidden ``.{name}.{hex}.partial`` holding a marker
(``.bnnppl-partial.json``: process id, host, start time), fsynced, and renamed to the first free
``name-YYYYmmdd-HHMMSS`` (``-2``, ``-3``, ...) without replacing anything. A process killed on the
way leaves only such hidden leftovers; the next write beside them removes those whose process
(on this host) has ended, and nothing else.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as _dt
import errno
import json
import os
import re
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

MARKER = ".bnnppl-partial.json"
"""The file that marks a hidden ``.partial`` run folder as bnnppl's (removed before publishing)."""


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (``True`` when unsure: never clean up on a guess).

    >>> pid_alive(os.getpid()), pid_alive(999999999)
    (True, False)
    """
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. another user's process
    return True


def fsync(path: Path) -> None:
    """Flush ``path`` (a file or a folder) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder``, then ``folder`` itself."""
    for parent, dirs, files in os.walk(folder):
        for name in (*files, *dirs):
            if not os.path.islink(os.path.join(parent, name)):
                fsync(Path(parent, name))
    fsync(folder)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, fsync it, then rename it to ``path``.

    An interruption leaves either the old file or no file, never half of the new one; a killed
    process leaves its hidden ``.{name}.{pid}-{hex}.tmp``, which the next write of ``path`` removes.
    """
    path = Path(path)
    for stale in stale_siblings(path, "tmp", folders=False):
        stale.unlink(missing_ok=True)
    tmp = own_sibling(path, "tmp")
    try:
        write(tmp)
        fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync(path.parent)
    return path


def own_sibling(path: Path, kind: str) -> Path:
    """A new hidden ``.{name}.{pid}-{hex}.{kind}`` beside ``path``, named for this process: the
    temporary file of ``atomic_write``, the folders of a posterior save (``.tmp``, ``.old``)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.{kind}")


def stale_siblings(path: Path, kind: str, *, folders: bool) -> list[Path]:
    """The ``own_sibling(path, kind)`` names beside ``path`` left by processes that have ended:
    folders (``folders=True``) or plain files, never a link; sorted.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "out.csv"
    >>> mine = own_sibling(path, "tmp")
    >>> _ = mine.write_text("half")
    >>> mine.name.startswith(f".out.csv.{os.getpid()}-"), stale_siblings(path, "tmp", folders=False)
    (True, [])
    >>> dead = path.with_name(".out.csv.999999999-0123456789ab.tmp")  # a pid no process has
    >>> _ = dead.write_text("half")
    >>> stale_siblings(path, "tmp", folders=False) == [dead]
    True
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]{{12}}\.{re.escape(kind)}")
    found = []
    for sibling in _hidden(path.parent):
        match = pattern.fullmatch(sibling.name)
        kind_ok = sibling.is_dir() if folders else sibling.is_file()
        if match and kind_ok and not sibling.is_symlink() and not pid_alive(int(match[1])):
            found.append(sibling)
    return sorted(found)


def _hidden(folder: Path) -> Iterator[Path]:
    try:
        return iter([folder / name for name in os.listdir(folder) if name.startswith(".")])
    except OSError:
        return iter([])


def run_stamp() -> str:
    """The time stamp of a new run folder's name, ``YYYYmmdd-HHMMSS``."""
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _run_names(name: str, stamp: str) -> Iterator[str]:
    return (f"{name}-{stamp}" if i == 1 else f"{name}-{stamp}-{i}" for i in range(1, 1000))


def free_run_name(root: Path, name: str, stamp: str) -> str:
    """The name ``publish_run_dir`` would give a run folder now (``name-{stamp}``, ``-2``, ...)."""
    return next(c for c in _run_names(name, stamp) if not os.path.lexists(Path(root) / c))


def start_run_dir(root: Path, name: str) -> Path:
    """A new hidden ``root/.{name}.{hex}.partial`` folder holding the marker, after removing the
    marked partial folders of ended processes on this host (anything unmarked is left alone)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(root)
    tmp = root / f".{name}.{uuid.uuid4().hex[:8]}.partial"
    tmp.mkdir()
    mark = {"pid": os.getpid(), "host": socket.gethostname(), "started": _dt.datetime.now().isoformat()}
    try:
        (tmp / MARKER).write_text(json.dumps(mark) + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def remove_stale_partials(root: Path) -> list[Path]:
    """Remove the hidden ``.*.partial`` folders under ``root`` whose marker names this host and a
    process that has ended; returns them."""
    removed = []
    for folder in _hidden(Path(root)):
        if not folder.name.endswith(".partial") or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            mark = json.loads((folder / MARKER).read_text())
            stale = mark["host"] == socket.gethostname() and not pid_alive(int(mark["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # no marker (or not ours): never touched
        if stale:
            _remove_marked(folder)
            removed.append(folder)
    return removed


def _remove_marked(folder: Path) -> None:
    """Remove a marked folder, its marker last (a kill meanwhile leaves it marked, still stale)."""
    try:
        for child in folder.iterdir():
            if child.name == MARKER:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        (folder / MARKER).unlink()
        folder.rmdir()
    except OSError:
        pass  # another process cleans it at the same time, or cannot: left for the next run


def publish_run_dir(tmp: Path, root: Path, name: str, stamp: str) -> Path:
    """Fsync the filled partial folder ``tmp``, drop its marker and rename it to the first free
    ``root/name-{stamp}`` (``-2``, ``-3``, ...); never replaces an existing path."""
    root = Path(root)
    fsync_tree(tmp)
    (tmp / MARKER).unlink()
    fsync(tmp)
    for candidate in _run_names(name, stamp):
        try:
            rename_noreplace(tmp, root / candidate)
        except FileExistsError:
            continue
        fsync(root)
        return root / candidate
    raise FileExistsError(f"out: could not find a free run folder name under {root}")


class RunFolder:
    """A run folder being filled (``new_run_folder``): ``path`` the hidden folder to write in,
    ``final`` the published folder once the ``with`` block has ended without an error."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name, self.stamp = Path(root), name, run_stamp()
        self.path = start_run_dir(self.root, name)
        self.final: Path | None = None

    def free_name(self) -> str:
        """The name the folder would be published under now (a report's title)."""
        return free_run_name(self.root, self.name, self.stamp)


@contextlib.contextmanager
def new_run_folder(root: Path, name: str) -> Iterator[RunFolder]:
    """Fill a new run folder ``root/name-YYYYmmdd-HHMMSS[-i]`` under a hidden name
    (``start_run_dir``); published whole at the end of the block (``publish_run_dir``), removed
    if the block raises.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with new_run_folder(root, "demo") as folder:
    ...     _ = (folder.path / "notes.txt").write_text("done")
    >>> [p.name for p in root.iterdir()] == [folder.final.name]  # nothing hidden is left
    True
    >>> [p.name for p in folder.final.iterdir()]
    ['notes.txt']
    """
    folder = RunFolder(root, name)
    try:
        yield folder
        folder.final = publish_run_dir(folder.path, folder.root, name, folder.stamp)
    except BaseException:
        shutil.rmtree(folder.path, ignore_errors=True)
        raise


def _libc_renameat2() -> Callable[..., int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


_RENAMEAT2 = _libc_renameat2()
_AT_FDCWD, _RENAME_NOREPLACE = -100, 1


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; ``FileExistsError`` if ``dst`` exists (an empty folder included,
    which a plain rename would replace). Atomic where the kernel offers ``RENAME_NOREPLACE``.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "a").mkdir(); (root / "b").mkdir()
    >>> rename_noreplace(root / "a", root / "b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileExistsError: ...
    >>> rename_noreplace(root / "a", root / "c"); sorted(p.name for p in root.iterdir())
    ['b', 'c']
    """
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err in (errno.EEXIST, errno.ENOTEMPTY):
            raise FileExistsError(err, os.strerror(err), str(dst))
        if err not in (errno.EINVAL, errno.ENOSYS):
            raise OSError(err, os.strerror(err), str(src))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    try:
        os.rename(src, dst)
    except OSError as err:  # a folder made there meanwhile (a plain rename replaces only an empty one)
        if err.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
            raise FileExistsError(err.errno, os.strerror(err.errno), str(dst)) from None
        raise
