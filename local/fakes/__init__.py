"""Local fakes of the services Parley calls over HTTP, a file per API on one HTTP base (OpenAI, Pinecone), so that
the real SDKs run in tests and benchmarks offline; and the sample documents and websites that stand in for users'
files and sites.

They keep the limits of the real services that Parley must respect (inputs and tokens per embedding request,
records and bytes per upsert), answer with the same JSON shapes, count every request, and can be told to fail:
the next few requests (`fail_next`), or a seeded share of them as the services fail (`faults`, local/faults.py).
"""
