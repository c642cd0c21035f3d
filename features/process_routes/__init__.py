"""Heavy-industry production routes: products and routes with their process emissions and the
energy they use as reductant or feedstock (``definitions``), and a factory's process-emission
lines (``emissions``)."""
