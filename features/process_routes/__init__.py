"""Heavy-industry production routes: products and routes with their process emissions and the
energy they use as reductant or feedstock (``definitions``), a factory's process-emission lines
(``emissions``), what a sector measure does to a line (``effects``) and its engineering estimate
(``estimate``). The catalogue builds on this package, never the other way round (the catalogue's
heavy-industry document is ``features.catalogue.route_basis``)."""
