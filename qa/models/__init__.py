"""Local language models: the catalogue, installing a model with its hash checked, finding it."""
