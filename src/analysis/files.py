"""Files written safely: atomic writes, folder swaps, repair after an interrupted write, and
content hashes. The one home of these rules for every layer (snapshots, curated tables, reports,
the cache). Standard library only."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path


def sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (used to tell stale temporary files and claims
    apart). A process that has exited but not been reaped by its parent (a zombie) is not."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:  # "pid (name) state ..."; Linux only
            return fh.read().rpartition(b")")[2].split()[:1] != [b"Z"]
    except OSError:
        return True


def token() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def write_temp(path: Path, data: bytes | str, mode: int = 0o644, sync: bool = True) -> Path:
    """Write ``data`` to a new hidden temporary file next to ``path`` (``.<name>.tmp-<pid>-*``,
    which :func:`recover` removes if the process dies) and fsync it (unless ``sync`` is false, for
    a cache that reads a file torn by a crash as a miss); return its path. On failure (a full
    disk...) the temporary file is removed and the OSError names ``path``, not it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{token()}")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: Path, data: bytes | str, mode: int = 0o644, sync: bool = True) -> None:
    """Write ``data`` to a temporary file next to ``path``, fsync it (see :func:`write_temp`), then
    ``os.replace`` it: readers see the old file or the new one, never half of one. A failure leaves
    no temporary file behind."""
    publish({Path(path): data}, mode=mode, sync=sync)


def publish(files: dict[Path, bytes | str], folders: dict[Path, Path] | None = None, mode: int = 0o644,
            sync: bool = True) -> None:
    """Put several outputs in place all or nothing as far as the disk is concerned: first every
    byte of ``files`` ({target: data}) is written to temporary files beside the targets, then the
    staged ``folders`` ({staged folder: target folder}) are swapped in (:func:`swap_dir`), then the
    files are renamed over their targets. A failure while writing (a full disk) changes no target
    and leaves no temporary file; renames need no space."""
    temps: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            temps.append((write_temp(target, data, mode, sync), Path(target)))
        for staged, target in (folders or {}).items():
            swap_dir(Path(staged), Path(target))
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


def swap_dir(staged: Path, target: Path) -> None:
    """Put the folder ``staged`` in place of ``target`` (same file system).

    The old folder is first renamed aside (``.<name>.old-*``), then ``staged`` is renamed in, then
    the old one is removed. If the second rename fails the old folder is put back; if the process
    dies between the two renames, :func:`recover` (run at the start of every build) restores it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(staged, target)
        return
    backup = target.with_name(f".{target.name}.old-{token()}")
    os.rename(target, backup)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def recover(output: Path) -> None:
    """Repair what an interrupted build may have left in ``output``: restore a folder whose swap
    was cut between its two renames, drop stale temporary files and staging folders of builds
    that are no longer running."""
    for folder in (output, output / "profiles"):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            m = re.match(r"^\.(.+)\.(old|tmp)-(\d+)-[0-9a-f]+$", entry.name)
            if m and not pid_alive(int(m.group(3))):
                original = folder / m.group(1)
                if m.group(2) == "old" and entry.is_dir() and not original.exists():
                    os.rename(entry, original)
                elif entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            m = re.match(r"^\.staging-(\d+)-[0-9a-f]+$", entry.name)
            if m and not pid_alive(int(m.group(1))):
                shutil.rmtree(entry, ignore_errors=True)


def relative(path: Path, start: Path | None = None) -> str:
    try:
        return os.path.relpath(path, start or Path.cwd())
    except ValueError:
        return str(path)
