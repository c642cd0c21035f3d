"""End uses: where a factory's energy goes (process heat, steam, motors, lighting, ...), the
default shares per sector and carrier, and the physics of measures that convert one carrier into
another (CHP, heat pumps, electric heating, PV, fuel cells)."""
