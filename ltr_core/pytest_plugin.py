"""ltr's pytest plugin (entry point ``pytest11``), for plugin authors' tests::

    def test_conforms(ltr_plugin_check):
        ltr_plugin_check("mytracker")

``ltr_plugin_check(name, **options)`` runs the conformance kit (:func:`ltr_core.testing.check_plugin`; options as
its keywords: ``configs``, ``export``, ``device``) on the installed plugin ``name`` in the test's temporary
folder, and fails the test with the kit's report when a check fails; it returns the report."""

import pytest


@pytest.fixture
def ltr_plugin_check(tmp_path):
    from ltr_core.testing import assert_plugin_conforms     # here: every pytest run in the environment loads
                                                            # this module; the kit only when the fixture is used

    def check(name: str, **options):
        return assert_plugin_conforms(name, tmp_path / "ltr-check", **options)

    return check
