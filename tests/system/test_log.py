# SPDX-License-Identifier: BSD-3-Clause
"""The driver logs under its own type, pmd.net.rtap, which --log-level sets."""

import re

import pytest


def probe_line(app, ifname):
    return re.search(rf"^RTAP: rtap_create\(\): net_rtap_log\w*: interface {ifname}, port \d+$",
                     app.stderr(), re.M)


@pytest.mark.parametrize("level, shown", [("info", True), ("notice", False)])
def test_log_level_of_pmd_net_rtap(app_factory, names, level, shown):
    ifname = names("l")
    # The last --log-level given for a type wins: the fixture sets info first.
    app = app_factory(eal=["--log-level", f"pmd.net.rtap:{level}"])
    app.attach(f"net_rtap_log{level},iface={ifname}")
    assert bool(probe_line(app, ifname)) == shown, app.stderr()


def test_error_line_format(app):
    ok, _, _ = app.call("attach net_rtap_bad,persist=maybe")
    assert not ok
    # One line per message: type prefix, function, text, one newline.
    assert re.search(r"^RTAP: rtap_arg_flag\(\): persist=maybe: expected persist, "
                     r"persist=1 or persist=0$", app.stderr(), re.M), app.stderr()
