"""Pure functions of the Curie market model: no function here mutates its arguments."""
