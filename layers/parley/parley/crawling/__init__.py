"""Reading the public web for website sources: a fetcher that only reaches public addresses, robots.txt, sitemaps
and HTML pages. A pure library: no AWS, no storage; the crawl service decides what to do with what it reads."""
