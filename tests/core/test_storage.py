"""restorebench.storage: local paths, file:// and other fsspec URLs; rename where possible, one PUT on object stores."""

from __future__ import annotations

import pickle

import fsspec
import pytest

from restorebench import storage
from restorebench.storage import Store


@pytest.fixture
def memory_fs():
    fs = fsspec.filesystem("memory")
    yield fs
    if fs.exists("/rb-store"):
        fs.rm("/rb-store", recursive=True)


def test_local_path_and_file_url_are_the_same_folder(tmp_path):
    Store(tmp_path).write_bytes("a/b.bin", b"xy")
    url = Store(f"file://{tmp_path}")
    assert url.local == tmp_path and url.read_bytes("a/b.bin") == b"xy" and url.listdir("a") == ["b.bin"]
    assert pickle.loads(pickle.dumps(url)).local == tmp_path


def test_memory_url_writes_through_a_temporary_then_a_move(memory_fs, monkeypatch):
    moved = []
    real_mv = type(memory_fs).mv
    monkeypatch.setattr(type(memory_fs), "mv", lambda self, a, b, **kw: moved.append(b) or real_mv(self, a, b, **kw))
    store = Store("memory://rb-store/out")
    store.write_bytes("gt/1.png", b"png")
    assert store.read_bytes("gt/1.png") == b"png" and store.listdir("gt") == ["1.png"]
    assert moved == ["/rb-store/out/gt/1.png"] and store.temporaries("gt") == []
    store.remove("gt/1.png")
    assert not store.exists("gt/1.png")
    with pytest.raises(FileNotFoundError):
        store.read_bytes("gt/1.png")


def test_object_stores_get_one_put_of_the_final_name(memory_fs, monkeypatch):
    monkeypatch.setattr(storage, "OBJECT_STORES", frozenset({"memory"}))
    puts = []
    real_pipe = type(memory_fs).pipe_file
    monkeypatch.setattr(type(memory_fs), "pipe_file",
                        lambda self, path, data, **kw: puts.append(path) or real_pipe(self, path, data, **kw))
    Store("memory://rb-store/obj").write_bytes("lq/2.png", b"data")
    assert puts == ["/rb-store/obj/lq/2.png"]
