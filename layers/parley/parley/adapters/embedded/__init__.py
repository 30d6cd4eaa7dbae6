"""The embedded default: everything Parley needs to retrieve offline, with no service and no network."""
