"""DynamoDB single-table storage: the table, its key scheme (keys.py), and one store per kind of record."""
