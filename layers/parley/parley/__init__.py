"""Parley: multi-tenant chatbots that answer from each customer's own documents."""
