# A package, so these test modules get distinct names (host.test_*) from tests elsewhere.
