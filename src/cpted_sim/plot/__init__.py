"""Maps, diagrams and reports (layer L6); matplotlib lives only here."""
