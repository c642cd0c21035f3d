"""The measure catalogue, which measures fit a factory, and the (factory, measure) candidate
pairs with the energy each acts on."""
