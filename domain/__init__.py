"""Domain rules: plain functions over the models, used by views, jobs and the CLI.
Nothing here imports Flask."""
