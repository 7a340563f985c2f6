import os
import pathlib

import pytest

import cvmfs_mount as cm
from conftest import DATA, require_mounting, skip_unless_required


def test_snapshot_fixture_serves_directories_as_repositories():
    require_mounting()
    with cm.snapshot({"cms": DATA / "cms.cern.ch"}) as root:
        repo = root / "cms.cern.ch"
        assert (repo / "README").read_text() == "this is cms.cern.ch\n"
        assert (repo / "sub" / "file.txt").read_text() == "nested\n"
        assert os.getxattr(repo, "user.fqrn") == b"cms.cern.ch"
        with pytest.raises(OSError):
            (repo / "new").write_text("x")
    assert not (root / "cms.cern.ch").exists()


def test_snapshot_rejects_missing_directories():
    with pytest.raises(cm.InvalidInputError, match="is not a directory"):
        with cm.snapshot({"cms.cern.ch": DATA / "missing"}):
            pass


def test_operations_through_the_engine_and_the_context_manager(tmp_path):
    require_mounting()
    plan = cm.MountPlan("cms", backend="snapshot", source=str(DATA), root=str(tmp_path / "cvmfs"))
    with cm.mounted(plan) as results:
        assert [r.outcome for r in results] == ["mounted"]
        health = cm.check(plan)
        assert health[0].healthy and health[0].pid is not None
        assert (tmp_path / "cvmfs" / "cms.cern.ch" / "README").read_text() == "this is cms.cern.ch\n"
        assert [r.outcome for r in cm.repair(plan)] == ["healthy"]
    assert cm.probe(plan)[0].state == "not-mounted"
    with pytest.raises(cm.MountFailedError, match="not mounted"):
        cm.check(plan)


def test_the_context_manager_unmounts_when_the_block_raises(tmp_path):
    require_mounting()
    plan = cm.MountPlan("cms", backend="snapshot", source=str(DATA), root=str(tmp_path / "cvmfs"))
    with pytest.raises(RuntimeError):
        with cm.mounted(plan):
            raise RuntimeError("boom")
    assert cm.probe(plan)[0].state == "not-mounted"


def test_a_failing_repository_raises_after_unmounting_the_others(tmp_path):
    require_mounting()
    plan = cm.MountPlan("cms atlas", backend="snapshot", source=str(DATA), root=str(tmp_path / "cvmfs"))
    with pytest.raises(cm.MountFailedError, match="atlas.cern.ch"):
        with cm.mounted(plan):
            pass
    assert all(p.state == "not-mounted" for p in cm.probe(plan))


def test_unprivileged_users_get_a_user_namespace():
    """The fixture as an unprivileged user (nobody), through a user namespace."""
    require_mounting()
    try:
        private = os.readlink("/proc/self/ns/mnt") != os.readlink(f"/proc/{os.getppid()}/ns/mnt")
    except OSError:
        private = False
    if not private:
        skip_unless_required("needs a private mount namespace (run pytest under unshare -m) to lend nobody /dev/fuse")
    import stat
    import subprocess
    import sys
    import tempfile

    # pytest's own temporary directories are private to root: nobody needs its own.
    holder = tempfile.TemporaryDirectory(prefix="cvmfs-nobody-")
    tmp_path = pathlib.Path(holder.name)
    tmp_path.chmod(0o755)

    # nobody must be able to open /dev/fuse (0666, the Debian default); this machine may
    # have it 0600, so a node of the same device is bound over it, in this namespace only.
    node = tmp_path / "fuse"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(10, 229))
    os.chmod(node, 0o666)
    subprocess.run(["mount", "--bind", str(node), "/dev/fuse"], check=True)
    try:
        data = tmp_path / "data"
        (data / "cms.cern.ch").mkdir(parents=True)
        (data / "cms.cern.ch" / "README").write_text("served to nobody\n")
        for path in [tmp_path, data, data / "cms.cern.ch", data / "cms.cern.ch" / "README"]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        script = (
            "import cvmfs_mount as cm\n"
            f"with cm.snapshot({{'cms.cern.ch': {str(data / 'cms.cern.ch')!r}}}) as root:\n"
            "    print((root / 'cms.cern.ch' / 'README').read_text(), end='')\n"
        )
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", script],
            capture_output=True,
            text=True,
            cwd="/",
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "served to nobody\n"
    finally:
        subprocess.run(["umount", "/dev/fuse"], check=False)
        holder.cleanup()


def test_check_of_a_hung_repository_returns_and_the_interpreter_exits(tmp_path):
    """A probe stuck in the kernel on a hung server must not keep Python from exiting."""
    require_mounting()
    import signal
    import subprocess
    import sys
    import time

    plan = cm.MountPlan("cms", backend="snapshot", source=str(DATA), root=str(tmp_path / "cvmfs"))
    script = (
        "import time, cvmfs_mount as cm\n"
        f"plan = cm.MountPlan.from_json({plan.to_json()!r})\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    cm.check(plan, timeout_ms=500)\n"
        "except cm.ProbeTimeoutError as e:\n"
        "    print('hung', time.monotonic() - started, e)\n"
    )
    with cm.mounted(plan):
        server = cm.probe(plan)[0].pid
        hung = [True]
        os.kill(server, signal.SIGUSR1)  # the snapshot server stops answering

        def release():
            if hung.pop(0) if hung else False:
                os.kill(server, signal.SIGUSR1)

        try:
            started = time.monotonic()
            child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
            try:
                out, _ = child.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                release()  # let the stuck interpreter go, then fail
                child.kill()
                child.communicate()
                pytest.fail("the interpreter did not exit after check() of a hung repository")
            exited = time.monotonic() - started
        finally:
            release()
    assert child.returncode == 0, out
    words = out.split()
    assert words[0] == "hung" and "hung" in out.split(" ", 2)[2], out
    assert float(words[1]) < 3.0, out  # the 500 ms timeout, plus process start-up slack
    assert exited < 15, exited


def test_the_native_client_mounts_a_real_repository_through_the_context_manager(tmp_path):
    require_mounting()
    testdata = pathlib.Path(__file__).resolve().parents[2] / "testdata" / "cvmfs"
    etc = tmp_path / "etc-cvmfs"
    (etc / "default.d").mkdir(parents=True)
    (etc / "default.d" / "50-test.conf").write_text(
        f"CVMFS_SERVER_URL=file://{testdata}/@fqrn@\n"
        f"CVMFS_KEYS_DIR={testdata / 'keys'}\n"
        f"CVMFS_CACHE_BASE={tmp_path / 'cache'}\n"
    )
    plan = cm.MountPlan("fixture.example.org", backend="native", root=str(tmp_path / "cvmfs"))
    repo = tmp_path / "cvmfs" / "fixture.example.org"
    with cm.mounted(plan, config_dir=str(etc)) as results:
        assert [r.outcome for r in results] == ["mounted"]
        assert (repo / "README.txt").read_text().startswith("fixture.example.org: small CernVM-FS")
        assert os.getxattr(repo, "user.revision") == b"4"
        assert cm.check(plan)[0].healthy
    assert cm.probe(plan)[0].state == "not-mounted"
