"""The AWS stand-ins and the gaps they close where moto is kinder than AWS: the functions' AWS endpoint (a proxy that
checks each request's SigV4 signature and the function's IAM policy before moto sees it), S3's POST uploads and CORS,
and DynamoDB made safe under concurrency with AWS's limits."""
