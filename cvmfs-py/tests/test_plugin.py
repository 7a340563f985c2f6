from conftest import DATA, require_mounting


def test_the_cvmfs_fixture_from_a_marker(pytester):
    require_mounting()
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.cvmfs({{"cms.cern.ch": {str(DATA / "cms.cern.ch")!r}}})
        def test_uses_cvmfs(cvmfs):
            assert (cvmfs / "cms.cern.ch" / "cmsset_default.sh").exists()
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_the_cvmfs_fixture_from_the_ini_file(pytester):
    require_mounting()
    pytester.makeini(f"[pytest]\ncvmfs_snapshots =\n    cms.cern.ch={DATA / 'cms.cern.ch'}\n")
    pytester.makepyfile(
        """
        def test_uses_cvmfs(cvmfs):
            assert (cvmfs / "cms.cern.ch" / "README").read_text() == "this is cms.cern.ch\\n"
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_the_fixture_explains_a_missing_configuration(pytester):
    pytester.makepyfile(
        """
        def test_uses_cvmfs(cvmfs):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*cvmfs fixture needs*"])
