"""Tools that run the product from outside, as people do: `make eval` (retrieval quality on a BEIR data set), `make
plan` against the local stack, and Debian's Chromium driven by Playwright."""
