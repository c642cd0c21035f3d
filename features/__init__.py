"""What a factory and a measure are: profiles, units, sectors, regions, emission factors, carbon
accounting and the measure catalogue. Pure Python with pandas/numpy; imports no model or server
library."""
