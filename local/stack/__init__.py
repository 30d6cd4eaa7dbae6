"""The local stack and its state: one local Parley assembled from template.yaml, run in a child process, its
resources provisioned in moto, saved at stop and restored at start; and the web front ends served from its origin."""
