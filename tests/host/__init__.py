# SPDX-License-Identifier: Apache-2.0
# A package, so these test modules get distinct names (host.test_*) from tests elsewhere.
