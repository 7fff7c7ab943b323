"""Dataset, model and Space cards rendered from what the build and runs measured."""
