"""Domain models: what Parley stores and returns, with the validation rules of its API."""
