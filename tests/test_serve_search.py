"""``thread serve`` with search on: an edited page reloads first, the search index catches up
after (Pagefind runs once the browser has been told)."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from test_search_shards import edit, search_site
from test_serve import serving, stamps, wait_for


def test_the_page_reloads_before_the_search_index_is_updated(tmp_path: Path) -> None:
    site = search_site(tmp_path / "site")
    with serving(site) as (base, server):
        # Generous: under the full suite's load (the pull-request job's run beside `make
        # test`'s) one run took over 60 s here; alone it takes 3-6 s.
        deadline = time.monotonic() + 180
        wait_for(base + "many/part-05/", deadline)
        events = urllib.request.urlopen(base + "__livereload", timeout=30)
        time.sleep(0.5)  # the watcher is running once the first page was served
        before = stamps(site / "_site" / "pagefind")
        edit(site)
        line = b""
        while b"reload" not in line:
            line = events.readline()
        told = time.time_ns()
        assert "zebrafinch" in wait_for(base + "many/part-05/", deadline)
        while stamps(site / "_site" / "pagefind") == before and time.monotonic() < deadline:
            time.sleep(0.1)
        after = stamps(site / "_site" / "pagefind")
        changed = [path for path in after if before.get(path) != after[path]]
    output = server.stdout.read()  # the server has stopped: its builds, with their times
    assert changed, f"the search index was not updated; the server said:\n{output}"
    assert min(after[path][1] for path in changed) > told  # after the reload event
    assert "Traceback" not in output and "failed" not in output.lower()
