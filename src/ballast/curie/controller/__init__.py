"""The only code of the Curie engine that mutates state."""
