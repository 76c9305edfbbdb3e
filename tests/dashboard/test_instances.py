"""The record of running servers that notebooks reuse: only this user's, only live ones."""
from __future__ import annotations

import json
import os
import tempfile

import pytest
from flowlog.dashboard import instances


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return instances.info_dir()


def test_a_server_is_listed_until_it_unregisters(folder):
    path = instances.register(6123, {"logdirs": {"": "/runs"}}, "http://127.0.0.1:6123/")
    assert [(i["pid"], i["port"]) for i in instances.running()] == [(os.getpid(), 6123)]
    instances.unregister(path)
    assert instances.running() == []


def test_files_of_dead_processes_are_dropped(folder):
    folder.mkdir(mode=0o700)
    dead = folder / "pid-999999999.json"
    dead.write_text(json.dumps({"pid": 999_999_999, "port": 1, "key": {}, "start_time": 0}))
    assert instances.running() == [] and not dead.exists()


def test_a_folder_others_can_write_is_not_trusted(folder):
    instances.register(6124, {}, "http://127.0.0.1:6124/")
    os.chmod(folder, 0o777)  # anyone could have planted a file pointing elsewhere
    assert instances.running() == []
    assert instances.register(6125, {}, "http://127.0.0.1:6125/") is None
    os.chmod(folder, 0o700)
    assert [i["port"] for i in instances.running()] == [6124]
