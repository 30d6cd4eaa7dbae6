"""What the tests share, written once instead of copied per file: calling the API as a client does (api), what a
crawl of the sample website finds (crawl). Sample documents and websites live with the fakes (local/fakes/samples.py,
local/fakes/sample_site.py), since the benchmarks and the tools use them too."""
