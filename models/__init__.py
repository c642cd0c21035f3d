"""The model code: estimators, the recommendation bundle and its MLflow wrapper."""
