"""Project-level services: the AWS plumbing that belongs to no single app."""
