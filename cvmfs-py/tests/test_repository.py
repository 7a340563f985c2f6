import hashlib
import json
import pathlib
import shutil

import pytest

import cvmfs_mount as cm

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "testdata" / "cvmfs"
SERVED = TESTDATA / "fixture.example.org"
KEY = TESTDATA / "keys" / "fixture.example.org.pub"
# 2026-12-01 00:00 UTC: the fixture's whitelist is valid.
NOW = 1796083200


def open_fixture(**kwargs):
    return cm.Repository(str(SERVED), keys=[str(KEY)], now=NOW, **kwargs)


def test_the_fixture_reads_as_the_upstream_client_showed_it():
    repo = open_fixture()
    assert repo.revision == 4
    recorded = {}
    for line in (TESTDATA / "fixture.example.org.jsonl").read_text().splitlines():
        row = json.loads(line)
        recorded[row["path"]] = row
    readme = repo.stat("README.txt")
    assert readme.size == recorded["README.txt"]["size"]
    assert hashlib.sha1(repo.read("README.txt")).hexdigest() == recorded["README.txt"]["sha1"]
    chunked = repo.read("chunked/random-200k.bin")
    assert hashlib.sha1(chunked).hexdigest() == recorded["chunked/random-200k.bin"]["sha1"]
    names = sorted(e.path for e in repo.ls("links"))
    assert names == sorted("/" + p for p in recorded if p.startswith("links/"))
    assert repo.stat("links/chain").target == "rel-file"
    assert repo.stat("xattr/with-xattr.txt").xattrs["user.foo"] == b"bar"


def test_tags_open_older_revisions():
    tags = [t[0] for t in open_fixture().tags()]
    assert "v1.0" in tags
    assert open_fixture(tag="v1.0").revision == 4  # the manifest's; the root is the tag's
    assert open_fixture(tag="v1.0").root_hash == "e33102f484070a8e0f821ad07ee0b999131b69b8"


def test_tampering_and_missing_paths_are_refused(tmp_path):
    served = tmp_path / "fixture.example.org"
    shutil.copytree(SERVED, served)
    readme = open_fixture().stat("README.txt")
    obj = served / "data" / readme.hash[:2] / readme.hash[2:]
    data = bytearray(obj.read_bytes())
    data[-1] ^= 1
    obj.write_bytes(bytes(data))
    repo = cm.Repository(str(served), keys=[str(KEY)], now=NOW)
    with pytest.raises(cm.RepositoryRefusedError, match=readme.hash):
        repo.read("README.txt")
    with pytest.raises(FileNotFoundError):
        repo.stat("no/such/path")
    with pytest.raises(cm.RepositoryRefusedError, match="whitelist expired"):
        cm.Repository(str(SERVED), keys=[str(KEY)], now=1827468000)


def test_a_cache_serves_offline_and_is_inspected_and_evicted(tmp_path):
    served = tmp_path / "served" / "fixture.example.org"
    shutil.copytree(SERVED, served)
    cache = tmp_path / "cache"
    online = cm.Repository(str(served), keys=[str(KEY)], now=NOW, cache_dir=str(cache))
    assert online.offline is None
    readme = online.read("README.txt")
    info = cm.cache_info(str(cache))
    assert info["exists"] and info["objects"] == 2  # the root catalog and README.txt
    assert info["repositories"][0]["fqrn"] == "fixture.example.org"
    # The server is gone: the remembered revision opens offline from the cache.
    shutil.rmtree(served)
    offline = cm.Repository(str(served), keys=[str(KEY)], now=NOW, cache_dir=str(cache))
    assert ".cvmfspublished" in offline.offline
    assert offline.read("README.txt") == readme
    removed = cm.evict_cache(str(cache))
    assert removed["evicted"] >= 1
    # The root catalog the open repository reads stays.
    assert removed["kept_pinned"] == 1
    assert cm.cache_info(str(cache))["objects"] == 1
    assert offline.stat("README.txt").size == len(readme)
