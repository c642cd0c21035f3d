"""serving layer (see STYLE layering: training -> models -> features, serving -> models -> features)."""
