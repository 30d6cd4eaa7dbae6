"""The sample website's hold: what a browser test relies on to see a sync still under way on any machine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

import httpx

from local.fakes.sample_site import SampleSite, page


def test_a_request_made_while_the_site_is_held_is_answered_once_the_hold_ends() -> None:
    # Given a site with a page, held
    with SampleSite() as site, ThreadPoolExecutor(1) as pool:
        site.pages["/"] = page("Home", "Welcome.")
        with site.held():
            # When a client asks for the page
            answer = pool.submit(httpx.get, f"{site.url}/", timeout=30)

            # Then no answer comes while the hold lasts
            done, _ = wait([answer], timeout=0.5)
            assert not done
            assert site.requests["/"] == 0

        # and the page comes when it ends
        assert answer.result(timeout=30).status_code == 200
        assert site.requests["/"] == 1
