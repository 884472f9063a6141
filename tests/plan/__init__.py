"""Tests of the frozen rule-set plan (a package, so its module names do not
clash with same-named test files in other folders)."""
