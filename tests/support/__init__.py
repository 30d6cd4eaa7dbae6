"""What the tests share, written once instead of copied per file: calling the API as a client does and the types of
what it answers (api), driving the console in a browser (browser), what a crawl of the sample website finds (crawl),
reading a stack's log (logs). Sample documents and websites live with the fakes (local/fakes/samples.py,
local/fakes/sample_site.py), since the benchmarks and the tools use them too."""
